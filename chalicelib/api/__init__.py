"""The API's application layer: request and response models, the read service, errors, the
audit log and the OpenAPI document. Nothing here imports pyarrow."""
