"""``semantic``: example utterances per route, embedded; a query takes the most similar route when its
similarity clears that route's fitted threshold, else the default model.

Routes are plain JSON ``[{"name", "model", "utterances": [...]}]``. Without routes, one route per
training category is built from up to ``max_utterances`` of its prompts (sampled with ``seed``),
pointing at the strong model when the category's mean quality gain exceeds ``tolerance`` and at the
weak one otherwise. Each route's similarity threshold is fitted on the training table like
semantic-router's ``fit`` - but exactly, by enumerating every cut of the sorted similarities - to
maximise agreement with the cheapest sufficient model per query (strong when
``q_strong - q_weak > tolerance``, else weak). :meth:`SemanticRouter.to_semantic_router` emits the
routes in semantic-router's JSON layout (``routes`` with ``utterances`` and ``score_threshold``).
"""

from __future__ import annotations

import numpy as np

from ..errors import RouterlabError
from .base import Queries, Router, as_queries, one_embedding
from .knn import float_bank, quantize


class SemanticRouter(Router):
    """Nearest route by utterance similarity, with per-route thresholds fitted on training data.

    Parameters
    ----------
    routes : list of dict, optional
        ``[{"name": "legal", "model": "strong", "utterances": ["...", ...]}, ...]``; a model may be a
        table model or ``"weak"`` / ``"strong"``. None = one route per training category.
    default : str
        Model for queries that match no route.
    max_utterances : int
        Utterances per auto-built route.
    tolerance : float
        Quality gain below which the weak model counts as sufficient.
    encoder : str, optional

    Examples
    --------
    >>> routes = [{"name": "legal", "model": "strong", "utterances": ["review this contract"]}]
    >>> r = SemanticRouter(routes=routes).fit(outcomes)     # doctest: +SKIP
    >>> r.to_semantic_router()["routes"][0]["name"]          # doctest: +SKIP
    'legal'
    """

    kind = "semantic"
    needs_embeddings = True
    multi_model = True
    _array_state = {"utt_emb_": np.int8, "utt_route_": np.int64, "thresholds_": float}

    def __init__(
        self,
        *,
        routes: list[dict] | None = None,
        default: str = "weak",
        max_utterances: int = 20,
        tolerance: float = 0.0,
        encoder: str | None = None,
        strong: str | None = None,
        weak: str | None = None,
        seed: int = 0,
    ):
        super().__init__(strong=strong, weak=weak, seed=seed)
        self.routes = routes
        self.default = default
        self.max_utterances = max_utterances
        self.tolerance = tolerance
        self.encoder = encoder

    def _resolve_models(self, outcomes):
        self._resolve_pair(outcomes)  # validates strong/weak and the model count
        return tuple(outcomes.models)

    def _fit(self, outcomes) -> None:
        weak, strong = self._resolve_pair(outcomes)
        alias = {"weak": weak, "strong": strong}
        gap = self._gap_pair(outcomes, weak, strong)
        routes = self.routes if self.routes is not None else self._auto_routes(outcomes, gap)
        if not isinstance(routes, (list, tuple)) or not routes:
            raise RouterlabError(
                'routes must be a non-empty list of {"name", "model", "utterances"}'
            )
        names, models, utts, owner = [], [], [], []
        for i, r in enumerate(routes):
            if not isinstance(r, dict) or not {"name", "model", "utterances"} <= set(r):
                raise RouterlabError(f'route {i} needs "name", "model" and "utterances", got {r!r}')
            u = [str(x) for x in r["utterances"]]
            if not u:
                raise RouterlabError(f"route {r['name']!r} has no utterances")
            m = alias.get(r["model"], r["model"])
            outcomes.col(m)
            names.append(str(r["name"]))
            models.append(m)
            utts.extend(u)
            owner.extend([i] * len(u))
        self.default_ = alias.get(self.default, self.default)
        outcomes.col(self.default_)
        self.route_names_ = names
        self.route_models_ = models
        self.utterances_ = utts
        self.utt_route_ = np.asarray(owner, dtype=np.int64)
        self.utt_emb_ = quantize(Queries.from_texts(utts).embeddings_for(self.encoder))
        # fit thresholds: agreement with the cheapest sufficient model
        q = Queries.from_outcomes(outcomes)
        best, sim = self._best_route(q)
        prefer = np.where(gap > float(self.tolerance), strong, weak).astype(object)
        thr = np.full(len(names), 1.01)  # 1.01 = never matches
        for r in range(len(names)):
            idx = np.flatnonzero(best == r)
            if not len(idx):
                continue
            order = idx[np.argsort(-sim[idx], kind="stable")]
            good_in = (prefer[order] == models[r]).astype(float)
            good_out = (prefer[order] == self.default_).astype(float)
            # agreement when the top k match: sum(good_in[:k]) + sum(good_out[k:]), k = 0..len
            agree = np.concatenate([[0.0], np.cumsum(good_in)]) + (
                good_out.sum() - np.concatenate([[0.0], np.cumsum(good_out)])
            )
            k = int(np.argmax(agree))
            if k > 0:
                thr[r] = float(np.round(sim[order][k - 1], 6))
        self.thresholds_ = thr

    @staticmethod
    def _gap_pair(outcomes, weak, strong) -> np.ndarray:
        q = np.nan_to_num(outcomes.quality, nan=0.0)
        return q[:, outcomes.col(strong)] - q[:, outcomes.col(weak)]

    def _auto_routes(self, outcomes, gap) -> list[dict]:
        rng = np.random.default_rng(int(self.seed))
        cats = outcomes.categories
        routes = []
        for c in sorted(set(cats.tolist())):
            idx = np.flatnonzero(cats == c)
            pick = rng.choice(idx, size=min(int(self.max_utterances), len(idx)), replace=False)
            model = "strong" if gap[idx].mean() > float(self.tolerance) else "weak"
            routes.append(
                {
                    "name": c,
                    "model": model,
                    "utterances": [outcomes.prompts[i] for i in sorted(pick)],
                }
            )
        return routes

    def _route_cols(self) -> list[np.ndarray]:
        """Utterance columns per route, computed once per fitted or loaded state (private)."""
        hit = self.__dict__.get("_route_cols_cache")
        if hit is None or hit[0] is not self.utt_route_ or len(hit[1]) != len(self.route_names_):
            cols = [np.flatnonzero(self.utt_route_ == r) for r in range(len(self.route_names_))]
            hit = self._route_cols_cache = (self.utt_route_, cols)
        return hit[1]

    def _best_route(self, q: Queries):
        # route() and score() both need this for the same Queries: keep the last answer
        memo = self.__dict__.get("_best_memo")
        if memo is not None and memo[0] is q and memo[1] is self.utt_emb_:
            return memo[2]
        e = q.embeddings_for(self.encoder).astype(np.float32)
        bank = float_bank(self, "utt_emb_")
        if e.shape[1] != bank.shape[1]:
            raise RouterlabError(
                "query embeddings do not match the encoder the router was fitted with"
            )
        s = e @ bank.T  # (n, U)
        n_routes = len(self.route_names_)
        per_route = np.full((len(e), n_routes), -np.inf)
        for r, cols in enumerate(self._route_cols()):
            per_route[:, r] = s[:, cols].max(axis=1)
        best = np.argmax(per_route, axis=1)
        out = best, per_route[np.arange(len(e)), best].astype(float)
        self._best_memo = (q, self.utt_emb_, out)
        return out

    def _decide(self, q: Queries):
        best, sim = self._best_route(q)
        margin = sim - self.thresholds_[best]
        models = np.asarray(self.route_models_, dtype=object)[best]
        return np.where(margin >= 0, models, self.default_).astype(object), best, margin

    def _score(self, queries: Queries) -> np.ndarray:
        d, best, margin = self._decide(queries)
        cols = {m: j for j, m in enumerate(self.models_)}
        out = np.zeros((len(queries), len(self.models_)))
        out[:, cols[self.default_]] = 0.5
        rm = np.array(
            [cols[m] for m in np.asarray(self.route_models_, dtype=object)[best]], dtype=int
        )
        rows = np.arange(len(queries))
        own = rm != cols[self.default_]
        out[rows[own], rm[own]] = 0.5 + margin[own] / 2
        return out

    def route(self, queries, threshold: float | None = None) -> np.ndarray:
        self._check_fitted()
        return self._decide(as_queries(queries))[0]

    def _decide_one(self, prompt, embedding):
        """(model, best route, margin) of one query: :meth:`_decide` without batch bookkeeping."""
        self._check_fitted()
        e = one_embedding(prompt, embedding, self.encoder, self.utt_emb_.shape[1])
        s = float_bank(self, "utt_emb_") @ e
        per_route = [s[cols].max() if len(cols) else -np.inf for cols in self._route_cols()]
        best = int(np.argmax(per_route))
        margin = float(per_route[best]) - self.thresholds_[best]
        model = self.route_models_[best] if margin >= 0 else self.default_
        return model, best, margin

    def score_one(self, prompt, category=None, contains_pii=False, embedding=None):
        _, best, margin = self._decide_one(prompt, embedding)
        out = np.zeros(len(self.models_))
        cols = {m: j for j, m in enumerate(self.models_)}
        out[cols[self.default_]] = 0.5
        own = cols[self.route_models_[best]]
        if own != cols[self.default_]:
            out[own] = 0.5 + margin / 2
        return out

    def route_one(self, prompt, category=None, contains_pii=False, embedding=None, threshold=None):
        model, best, margin = self._decide_one(prompt, embedding)
        if model == self.default_:
            return model, 0.5
        return model, 0.5 + margin / 2

    def to_semantic_router(
        self, encoder_name: str = "sentence-transformers/all-MiniLM-L6-v2"
    ) -> dict:
        """The routes in semantic-router's JSON config layout (routes, utterances, score_threshold)."""
        self._check_fitted()
        routes = []
        for r, name in enumerate(self.route_names_):
            utt = [
                u for u, o in zip(self.utterances_, self.utt_route_.tolist(), strict=True) if o == r
            ]
            routes.append(
                {
                    "name": name,
                    "utterances": utt,
                    "score_threshold": float(min(self.thresholds_[r], 1.0)),
                    "metadata": {"model": self.route_models_[r]},
                }
            )
        return {"encoder_type": "huggingface", "encoder_name": encoder_name, "routes": routes}
