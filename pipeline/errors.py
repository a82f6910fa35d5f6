"""Exceptions and exit codes.

Every failure a user can meet is one of these classes: it knows the stage it
happened in, says what went wrong in plain words and what to do about it, so
the batch can write an error record and go on with the next document.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    ok = 0
    documents_failed = 1  # the run finished, but some documents have error records
    usage = 2  # bad command line: nothing was processed
    output_failed = 3  # the output folder stopped taking records (disk full, read-only): the run stopped
    interrupted = 130


class TestimonyError(Exception):
    """Base class: a failure explained to the archivist."""

    stage = "pipeline"
    __test__ = False  # not a pytest test class despite the name

    def __init__(self, message: str, *, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __reduce__(self):
        # Keep the hint when the error crosses a process boundary (worker -> main).
        return (self.__class__, (self.message,), {"hint": self.hint})

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip() if self.hint else self.message


class UsageError(TestimonyError):
    stage = "usage"


class InputError(TestimonyError):
    """The file cannot be read as a document (empty, corrupt, encrypted, unsupported...)."""

    stage = "ingest"


class EmptyFile(InputError):
    pass


class UnsupportedFormat(InputError):
    pass


class CorruptFile(InputError):
    pass


class EncryptedPdf(InputError):
    pass


class ImageTooLarge(InputError):
    pass


class OcrError(TestimonyError):
    """Tesseract is missing, lacks a language model, or crashed on a page."""

    stage = "ocr"


class OutputError(TestimonyError):
    stage = "export"


class OutputUnavailable(OutputError):
    """The output folder takes no more writes (disk full, quota, read-only, permissions): no
    later document could be saved either, so the run stops instead of failing each one."""


class NotARegularFile(InputError):
    """A named pipe, device, socket or dangling link among the inputs: never opened, so a
    pipe with no writer cannot block the batch and /dev/zero cannot fill memory."""


class FileVanished(InputError):
    """The file was there when the batch listed its inputs and is gone when it is read."""
