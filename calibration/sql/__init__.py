"""SQL export: compile a config to one query that scores accounts like Python does.

- :mod:`calibration.sql.dialects`: quoting, literals and engine differences;
- :mod:`calibration.sql.text`: locale-independent case folding;
- :mod:`calibration.sql.compiler`: the scoring query;
- :mod:`calibration.sql.dbt`: a ready dbt model (SQL + schema.yml).
"""

from calibration.sql.compiler import build_query, compile_sql
from calibration.sql.dialects import DIALECTS, IDENTIFIER_CASES, Dialect, get_dialect

__all__ = ["DIALECTS", "IDENTIFIER_CASES", "Dialect", "build_query", "compile_sql",
           "get_dialect"]
