"""How English pages show dates and times: as Europe writes them, the day first and a 24-hour clock.

Django's English formats are American ("Dec. 7, 2026, 4:53 a.m."). Trustdesk's providers and their
customers are European, and its Dutch pages already write "7 december 2026 16:53"; the English pages
now write "7 December 2026, 16:53", as the statement does. Only what is shown changes: what a form
accepts stays Django's (Trustdesk's date fields are the browser's own date inputs, which send ISO dates).
"""

DATE_FORMAT = "j F Y"  # 7 December 2026
TIME_FORMAT = "H:i"  # 16:53
DATETIME_FORMAT = "j F Y, H:i"  # 7 December 2026, 16:53
YEAR_MONTH_FORMAT = "F Y"  # December 2026
MONTH_DAY_FORMAT = "j F"  # 7 December
SHORT_DATE_FORMAT = "d/m/Y"  # 07/12/2026
SHORT_DATETIME_FORMAT = "d/m/Y H:i"  # 07/12/2026 16:53
FIRST_DAY_OF_WEEK = 1  # Monday
