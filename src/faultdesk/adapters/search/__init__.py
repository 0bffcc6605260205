"""Known-issue search: the Chinese segmenter and the in-memory incremental index (DESIGN §4)."""

from faultdesk.adapters.search.index import IndexStats, KnownIssueIndex
from faultdesk.adapters.search.segmenter import JiebaSegmenter, build_analyzer

__all__ = ["IndexStats", "JiebaSegmenter", "KnownIssueIndex", "build_analyzer"]
