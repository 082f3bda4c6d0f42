"""The shapes of the ids tenants are known by: each pattern once, as text (for pydantic fields
and the OpenAPI document) and compiled (for checks). ASCII only: `[0-9]`, never `\\d`."""

import re

GEMEENTE_CODE_PATTERN = r"GM[0-9]{4}"  # a CBS gemeentecode
LEVERANCIER_ID_PATTERN = r"[a-z0-9-]{2,40}"
TEAM_PATTERN = r"[a-z0-9-]{2,40}"  # a wijkteam's name

GEMEENTE_CODE = re.compile(GEMEENTE_CODE_PATTERN, re.ASCII)
LEVERANCIER_ID = re.compile(LEVERANCIER_ID_PATTERN, re.ASCII)
TEAM = re.compile(TEAM_PATTERN, re.ASCII)

LEVERING_ID_PATTERN = r"[A-Za-z0-9_-]{1,64}"  # a delivery, as chalicelib.domain.upload.new_levering_id makes them
LEVERING_ID = re.compile(LEVERING_ID_PATTERN, re.ASCII)
