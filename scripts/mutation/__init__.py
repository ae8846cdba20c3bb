"""Mutation testing of the core modules: do the tests notice small deliberate bugs?

``make mutate`` (or ``python scripts/mutate.py``) makes small bugs ("mutants") in one core
module at a time, in a temporary copy of the repository, and runs only that module's tests
against each. A mutant the tests fail on is *killed*; one they pass on *survived* and points
at a missing or too lenient test (or is equivalent: it changes no behaviour).

Mutants are of two kinds:

* generated from the syntax tree: a comparison loosened or flipped (``<`` / ``<=``, ``==`` /
  ``!=``), arithmetic swapped (``+`` / ``-``, ``*`` / ``/``), ``and`` / ``or`` swapped, a
  ``not`` dropped, a number nudged (integers + 1, other numbers doubled), ``True`` / ``False``
  swapped, a clamp or rounding call (``np.clip``, ``round``, ``min``, ...) dropped. A
  module has hundreds; a fixed sample (ordered by a hash of each mutant's id, so the sample
  stays put as unrelated code changes) keeps a run short;
* hand-written (:data:`mutation.catalogue.HAND_WRITTEN`): the bugs of issue #18 that once survived.

Why not mutmut? mutmut 3 mutates every string and number of every function (thousands here,
error messages included) and runs them through its own trampolines; on two shared cores that
does not fit 20 minutes, and picking the relevant tests per module is what keeps this fast.

Survivors judged equivalent (no input can tell them apart) are listed in
:data:`mutation.catalogue.EQUIVALENT` with the reason; they are reported, never hidden.
This is a developer tool, not part of CI.

Layout: :mod:`mutation.catalogue` (modules, their tests, hand-written mutants, harmless
survivors), :mod:`mutation.generate` (syntax-tree mutants, sampling), :mod:`mutation.runner`
(forked pytest runs in copies of the repository), :mod:`mutation.report` (the score table);
``scripts/mutate.py`` is the command line.
"""
