"""The Slack and Teams identities the test stack is configured with."""

SLACK_SIGNING_SECRET = "test-signing-secret"


TEAMS_APP_ID, TEAMS_APP_PASSWORD, TEAMS_TENANT = "6f1c2d3e-0000-4000-8000-00000000b07a", "test-client-secret", "tenant-heatons"


TEAMS_HEAD = "aad-headteacher"  # the head teacher's Microsoft Entra object id

