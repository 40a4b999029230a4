"""POST /api/v1/functions/<NAME>: run a CPD worksheet function for an Office.js custom function.

The body is what the add-in's JavaScript received from Excel: ``{"args": [...]}``, ranges as
2-D arrays (blank cells as ""), dates as serial numbers. The answer is ``{"result": ...}``: a
number, text, or a 2-D array that spills. Bad input is a 4xx with a stable code; a bad value
inside a range is the function's own readable result, as in the desktop add-in.

Anyone may call them (they hold no member's data), so each address is limited to
``FUNCTION_CALLS`` calls (429 with Retry-After past it), and a call's ranges to
``FUNCTION_MAX_ROWS`` rows in all (413 ``too_many_rows``). Each worker process remembers the
last few activity ranges it was sent (at most 10,000 rows in all), in memory only, so that a
recalculation after an edit builds only the rows that changed; an address's ranges are compared only
with that address's own.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from addin import FUNCTIONS, gc_paused, remembered_for

from ..errors import BadRequest, NotFound, TooLarge
from ..throttle import address, call_throttle, over_or_raise

bp = Blueprint("api_functions", __name__, url_prefix="/api/v1/functions")


@bp.get("")
def index():
    """The functions, their parameters and examples."""
    return jsonify(functions=[{
        "name": f"CPD.{f.name}", "id": f.name, "help": f.help, "returns": f.returns, "example": f.example,
        "params": [{"name": p.name, "kind": p.kind, "help": p.help, "optional": p.optional} for p in f.params],
    } for f in FUNCTIONS.values()])


def _rows(args: list) -> int:
    return sum(len(a) for a in args if isinstance(a, list))


@bp.post("/<name>")
def run(name: str):
    limit = current_app.config["FUNCTION_CALLS"]
    over_or_raise(call_throttle(), limit, address(), f"at most {limit.replace('/', ' a ')} calls from one address; "
                  "the functions recalculate when the limit allows")
    fn = FUNCTIONS.get(name.upper())
    if fn is None:
        raise NotFound("unknown_function", f"no CPD function {name!r} (known: {', '.join(FUNCTIONS)})")
    with gc_paused():    # the ranges are tens of thousands of objects that die with the call, freed by reference
        body = request.get_json(silent=True, cache=False)            # counting here: no collector pass over them
        if not isinstance(body, dict) or not isinstance(body.get("args"), list):
            raise BadRequest("bad_request", 'send JSON like {"args": [...]} with the function\'s arguments in order')
        args = body["args"]
        most = current_app.config["FUNCTION_MAX_ROWS"]
        if _rows(args) > most:
            raise TooLarge("too_many_rows", f"CPD.{fn.name} was given {_rows(args):,} rows; at most {most:,} in one "
                           "call")
        required = sum(1 for p in fn.params if not p.optional)
        if not required <= len(args) <= len(fn.params):
            raise BadRequest("bad_arguments", f"CPD.{fn.name} takes {required} to {len(fn.params)} arguments; "
                             f"got {len(args)}")
        with remembered_for(address()):       # a recalculation compares its ranges with this address's only
            result = fn.run(*args)
        del body, args
    return jsonify(result=result)
