"""The gateway's one shape for a refusal: a status, a code, and a friendly message to show."""

from __future__ import annotations

from fastapi.responses import JSONResponse


def problem(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, "messages": [{"text": message}]}, status_code=status,
                        headers=headers)
