"""devorg: an emulated Salesforce org for SIVO's development and tests."""
