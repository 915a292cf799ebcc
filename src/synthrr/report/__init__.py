"""What people read about runs: the comparison table (``synthrr compare``, written by
:mod:`~synthrr.stages.compare`, shown through :mod:`~synthrr.report.table`) and
the self-contained HTML report (``synthrr report``: :mod:`~synthrr.report.data` gathers, :mod:`~synthrr.report.figures`
draws, :mod:`~synthrr.report.html` writes, with ``browser.js`` for its example browser)."""
