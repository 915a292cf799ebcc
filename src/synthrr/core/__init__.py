"""The ground floor every layer may use: records, errors, registries, atomic I/O, text and path helpers,
credential redaction, machine resources, offline asset lookup, and the one logger and progress switch (log)."""
