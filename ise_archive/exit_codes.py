"""The exit codes of ``scrapy crawl ise_blog`` and ``ise-archive``: one table, one
meaning each.

Cron and systemd act on the code alone, so no code may mean two things, and none
may be one that Scrapy or argparse use for their own usage errors (2). The numbers
above 63 follow BSD ``sysexits.h`` where it has a name for the case (70 software,
74 I/O, 75 temporary failure), and 130 is the shell's "ended by Ctrl-C".

====  ===========  ============================================================
code  name         meaning
====  ===========  ============================================================
0     OK           finished; the dataset is complete as far as the archive
                   allows (includes "no change" and failures within the limit)
1     FAILED       finished, but lost more than the allowed share of captures or
                   discovery failed; ``validate``/``verify`` found problems
2     (usage)      never ours: Scrapy's or argparse's own usage errors
3     CONFIG       could not start: a bad setting, argument, option or an
                   unusable input or output path; nothing was requested
70    INTERNAL     a bug: an exception in the crawler's code, a record that
                   failed the schema, counts that do not add up
74    IO           the dataset, state database or run report could not be written
75    TEMPFAIL     the archive blocked us or cannot be reached: state kept, run
                   again later and it resumes
130   INTERRUPTED  stopped by Ctrl-C or SIGTERM with work pending: the partial
                   dataset is written, state kept, run again to finish
====  ===========  ============================================================
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    CONFIG = 3
    INTERNAL = 70
    IO = 74
    TEMPFAIL = 75
    INTERRUPTED = 130


#: One line per code, for ``--help`` texts and the run summary.
EXIT_CODE_HELP: dict[ExitCode, str] = {
    ExitCode.OK: "finished (nothing lost beyond the allowed share)",
    ExitCode.FAILED: "finished, but too much was lost or problems were found",
    ExitCode.CONFIG: "could not start: bad setting, argument, option or path",
    ExitCode.INTERNAL: "internal error (a bug): see the log",
    ExitCode.IO: "could not write the dataset, state or report",
    ExitCode.TEMPFAIL: "archive unreachable or blocking us: run again later",
    ExitCode.INTERRUPTED: "interrupted with work pending: run again to finish",
}


def exit_code_table() -> str:
    """The table as plain text lines, e.g. for an epilog of ``--help``."""
    return "\n".join(
        f"  {int(code):>3}  {text}" for code, text in EXIT_CODE_HELP.items()
    )
