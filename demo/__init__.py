"""``make run``: SIVO with the emulated Salesforce org beside it, connected, as a demo."""
