"""The runner every pipeline stage shares: ``python -m dprk_stance.<stage> [MODEL] --params``.

It sits below the stages and the CLI: it loads the typed config, runs one stage function,
prints the stage's headline as JSON, and maps user-facing errors to a one-line message and
exit status 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from dprk_stance.errors import EXIT_ERROR, USER_ERRORS


def run_stage(
    fn: Callable[..., Any], argv: Sequence[str] | None, *, name: str, takes_model: bool = False
) -> int:
    """Parse ``[MODEL] --params FILE``, run ``fn(cfg[, model])``, print its summary.

    Returns the exit status: 0, or 2 with ``dprk-stance <name>: error: ...`` on stderr.
    """
    from dprk_stance.config import Config

    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog=f"python -m dprk_stance.{name}")
    if takes_model:
        parser.add_argument("model", help="a name from params 'models' (or 'ensemble')")
    parser.add_argument("--params", default="params.yaml", help="params file (params.yaml)")
    args = parser.parse_args(argv)
    try:
        cfg = Config.load(args.params)
        result = fn(cfg, args.model) if takes_model else fn(cfg)
    except USER_ERRORS as exc:
        print(f"dprk-stance {name}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(json.dumps(_headline(result), indent=1, default=str))
    return 0


def _headline(result: Any) -> Any:
    if isinstance(result, dict):
        return {
            k: v
            for k, v in result.items()
            if not isinstance(v, (list, dict)) or k in ("labels", "rejected_by_reason")
        }
    return result
