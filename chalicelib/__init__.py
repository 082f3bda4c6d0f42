"""vindplaats shared code: the Lambda layer every function imports."""
