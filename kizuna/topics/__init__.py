"""Season and town topics: the topic files (``files``) and the one rule that picks a message's
lines (``chooser``). See ``kizuna.topics.chooser`` for how a line is chosen."""

from .chooser import (
    Considered as Considered,
)
from .chooser import (
    Explanation as Explanation,
)
from .chooser import (
    TopicChoice as TopicChoice,
)
from .chooser import (
    choose as choose,
)
from .chooser import (
    choose_many as choose_many,
)
from .chooser import (
    explain as explain,
)
from .files import (
    TERM_NAMES as TERM_NAMES,
)
from .files import (
    ClimateRule as ClimateRule,
)
from .files import (
    FileCheck as FileCheck,
)
from .files import (
    SeasonLine as SeasonLine,
)
from .files import (
    TownFile as TownFile,
)
from .files import (
    TownTopic as TownTopic,
)
from .files import (
    check_topic_file as check_topic_file,
)
from .files import (
    check_topic_file_report as check_topic_file_report,
)
from .files import (
    load_season_file as load_season_file,
)
from .files import (
    load_town_file as load_town_file,
)
from .files import (
    season_lines as season_lines,
)
from .files import (
    town_for as town_for,
)

__all__ = [
    "TERM_NAMES",
    "ClimateRule",
    "Considered",
    "Explanation",
    "FileCheck",
    "SeasonLine",
    "TopicChoice",
    "TownFile",
    "TownTopic",
    "check_topic_file",
    "check_topic_file_report",
    "choose",
    "choose_many",
    "explain",
    "load_season_file",
    "load_town_file",
    "season_lines",
    "town_for",
]
