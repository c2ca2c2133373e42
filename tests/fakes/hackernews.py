"""A fake HN Algolia search API (``/api/v1/search_by_date``).

Shapes follow https://hn.algolia.com/api: ``{"hits": [...], "page", "nbPages", "nbHits",
"hitsPerPage", ...}``, ``numericFilters=created_at_i>=…,created_at_i<…``, ``optionalWords``, and
Algolia's ``paginationLimitedTo`` of 1,000 hits per query.
"""

from __future__ import annotations

import math
import re
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.fakes.corpus import Corpus, Doc, iso
from tests.fakes.server import FakeServer, json_response, query_words

_FILTER = re.compile(r"created_at_i(>=|<|>|<=)(\d+)")


class FakeHackerNews(FakeServer):
    def __init__(self, corpus: Corpus, pagination_limit: int = 1000) -> None:
        super().__init__()
        self.corpus = corpus
        self.pagination_limit = pagination_limit
        self._cache: dict[Any, list[Doc]] = {}

    def hit(self, d: Doc) -> Any:
        item: dict[str, Any] = {
            "objectID": str(d.id),
            "created_at": iso(d.created),
            "created_at_i": int(d.epoch),
            "author": d.author,
            "points": d.likes if d.parent is None else None,
            "story_id": d.root or d.id,
            "updated_at": iso(d.created),
        }
        if d.parent is None:
            item.update(
                title=d.text,
                url=f"https://example.com/{d.id}",
                story_text=None,
                num_comments=d.replies,
                _tags=["story", f"author_{d.author}", f"story_{d.id}"],
            )
        else:
            item.update(
                comment_text=None if d.deleted else f"<p>{d.text}</p>",
                parent_id=d.parent,
                story_title="parent story",
                _tags=["comment", f"author_{d.author}", f"story_{d.root}"],
            )
        item["_highlightResult"] = {"author": {"value": d.author, "matchLevel": "none"}}
        return self.corpus.render(d, item)

    def route(self, request: Request) -> Response:
        if request.path != "/api/v1/search_by_date":
            return json_response({"message": "Not Found", "status": 404}, 404)
        args = request.args
        words = query_words(args.get("query", ""))
        bounds = _FILTER.findall(args.get("numericFilters", ""))
        key = (frozenset(words), tuple(bounds), len(self.corpus.docs))
        docs = self._cache.get(key)
        if docs is None:
            docs = [d for d in self.corpus.docs if any(w in d.text.lower() for w in words)]
            for op, value in bounds:
                v = int(value)
                docs = [
                    d
                    for d in docs
                    if {
                        ">=": int(d.epoch) >= v,
                        "<": int(d.epoch) < v,
                        ">": int(d.epoch) > v,
                        "<=": int(d.epoch) <= v,
                    }[op]
                ]
            self._cache[key] = docs
        per_page = int(args.get("hitsPerPage", 20))
        page = int(args.get("page", 0))
        reachable = min(len(docs), self.pagination_limit)
        pages = math.ceil(reachable / per_page) if per_page else 0
        chunk = (
            docs[page * per_page : min((page + 1) * per_page, reachable)] if page < pages else []
        )
        return json_response(
            {
                "hits": [self.hit(d) for d in chunk],
                "page": page,
                "nbPages": pages,
                "nbHits": len(docs),
                "hitsPerPage": per_page,
                "exhaustiveNbHits": True,
                "query": args.get("query", ""),
                "params": request.query_string.decode(),
                "processingTimeMS": 1,
            }
        )
