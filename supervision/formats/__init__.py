"""Number and date formats that differ from Django's defaults (settings.FORMAT_MODULE_PATH).

Django looks here first for the active language and falls back to its own format module
for anything not set here.
"""
