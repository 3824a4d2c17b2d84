"""An agent's preferences as the softphone's browser routes take and show them
(``/softphone/preferences``; not part of /api/v1).

Today these are its audio devices: the microphone, the speaker calls play on and the ringer,
each by the label the browser shows (``MediaDeviceInfo.label``). A browser's device ids are
per origin and may change between loads, so SIVO keeps only labels; the browser matches
them against the devices it has (``static/shared/media.js``, ``chooseDevice``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema

from .base import Body, Timestamp, View, single_line_text

DeviceLabel = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    AfterValidator(single_line_text),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": 200,
            "pattern": r"^[^\u0000-\u001f\u007f-\u009f]*$",
            "example": "Headset Microphone (Jabra Evolve 65)",
        }
    ),
]
"""A device's label, as the browser shows it: 1-200 characters, one line, kept verbatim
(labels are compared exactly, so no trimming)."""

_DEFAULT = "Left out or null: the system default."


class DevicePreferencesUpdate(Body):
    """The agent's audio devices, all three at once (a PUT replaces what was kept)."""

    mic: DeviceLabel | None = Field(default=None, description=f"The microphone. {_DEFAULT}")
    speaker: DeviceLabel | None = Field(default=None, description=f"Where calls play. {_DEFAULT}")
    ringer: DeviceLabel | None = Field(default=None, description=f"Where it rings. {_DEFAULT}")


class DevicePreferences(View):
    """What SIVO keeps for the agent; all null until the agent first picks a device."""

    mic: str | None = None
    speaker: str | None = None
    ringer: str | None = None
    updated_at: Timestamp | None = None
