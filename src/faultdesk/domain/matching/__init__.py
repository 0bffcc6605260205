"""Known-issue matching (DESIGN §4, stage 2 "recurrence check"): the rules, without the index.

A new report is compared with earlier reports, faults (open and archived), knowledge-base
articles and release notes. This package holds everything about *how* two records are compared
and nothing about *where* they are kept. One module per concern, each importing only those
above it in this list (so there are no cycles):

- :mod:`.text`: width/case normalisation, the pluggable :class:`~.text.Segmenter` for Chinese
  runs (with a dependency-free bigram fallback), stop words, light English stemming, and the
  split of pasted logs and stack traces from a description;
- :mod:`.synonyms`: interchangeable fault words folded to one term, and the default groups;
- :mod:`.documents`: the records as the matcher sees them (:class:`~.documents.MatchDocument`),
  their weighted fields and the structured facts ranking compares exactly;
- :mod:`.analysis`: the :class:`~.analysis.Analyzer` that turns a document into terms per
  field, identically for documents and queries;
- :mod:`.scoring`: the score, BM25F lexical relevance (Robertson & Zaragoza's per-field
  normalised pseudo-frequency) made relative to the best candidate of the query, plus structural
  evidence a fault record carries (same product function, fault type, app version, time
  proximity, still open); every tunable number (:class:`~.scoring.MatchWeights`); and the seam
  for an optional embedding model (:class:`~.scoring.SemanticScorer`), none needed by default;
- :mod:`.candidates`: the results with their explanation (:class:`~.candidates.MatchScore`:
  which query terms matched in which fields, which structural features fired), and the scalar
  reference ranking :func:`~.candidates.rank_scalar`.

The index adapter (``faultdesk.adapters.search``) computes the same formula vectorised over
its postings; the scalar functions here are the specification it is tested against.

Nothing is re-exported here: import each name from its module.
"""
