"""Simplified Chinese: figures grouped by thousands with commas, as in Chinese official and
financial documents (Django's own zh_Hans module groups nothing). Dates keep Django's Chinese
style (2025年3月10日); date inputs are read and written as 2025-03-10 first.
"""

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3

# The first input format is also how a form writes a date back into a text field.
DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2025-03-10
    "%Y/%m/%d",  # 2025/03/10
    "%Y年%m月%d日",  # 2025年3月10日
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
]
