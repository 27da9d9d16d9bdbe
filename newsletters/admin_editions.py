"""The admin of editions: writing, previewing, test-sending, scheduling and following a send."""
