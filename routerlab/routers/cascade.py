"""``cascade``: try models in order; accept a stage's answer when its verifier score clears that stage's
threshold, otherwise escalate. The cost counts every stage tried (FrugalGPT, AutoMix).

Verifiers (param ``verifier``):

- ``"confidence"``: the backend's own confidence, ``outcomes.confidence``, as a probability: a column of
  mean token log-probabilities (negative, as llama.cpp reports them) becomes ``exp(mean logprob)``, the
  geometric-mean token probability; a column already in [0, 1] is kept
  (:func:`routerlab.verifiers.to_probability`). Unknown (nan) counts as 0, i.e. escalate.
- ``"judge"``: an LLM-judge score in [0, 1] per (query, model), read from the query column
  ``judge:<model>`` of the outcome table (add it with
  ``outcomes.queries["judge:gemma3-270m"] = scores`` or a long-format column of that name).
- ``"learned"``: a ridge regression on the (query, answer) embeddings ``[e_q, e_a, e_q * e_a]``,
  trained on the training table to predict the stage model's quality; needs ``outcomes.responses``.

Thresholds (param ``thresholds``, one per non-final stage) are given, or fitted exactly per stage on the
training table: among the queries reaching the stage, the scores are sorted and every cut is tried;
the chosen cut accepts the most queries whose mean quality is no worse than the final model's on the
same queries minus ``tolerance``.

A cascade needs the answers, so it scores and routes Outcomes (not bare prompts). :meth:`simulate`
returns the final model, the summed cost and the summed latency of every stage tried.
"""

from __future__ import annotations

import numpy as np

from ..errors import RouterlabError
from ..verifiers import to_probability
from . import base
from . import features as F
from .base import Queries, Router, as_queries, one_embedding

_NEVER = 2.0  # threshold above any verifier score (scores are clipped to [0, 1])


class CascadeRouter(Router):
    """Ordered models with a verifier and a threshold per stage.

    Parameters
    ----------
    models : list of str, optional
        Stage order; None = all table models by ascending mean cost (by quality when costs are unknown).
    verifier : {"confidence", "judge", "learned"}
    thresholds : list of float, optional
        One per non-final stage; None = fitted on the training table.
    tolerance : float
        Allowed mean-quality shortfall of accepted answers vs the final model when fitting thresholds.
    l2 : float
        Ridge penalty of the learned verifier.
    encoder : str, optional

    Examples
    --------
    >>> c = CascadeRouter(models=["gemma3-270m", "scenario:frontier"], verifier="confidence")  # doctest: +SKIP
    >>> c.fit(train).simulate(test).total_cost                                                # doctest: +SKIP
    """

    kind = "cascade"
    multi_model = True
    _array_state = {"thresholds_": float, "verifier_coef_": float}

    def __init__(
        self,
        *,
        models: list[str] | None = None,
        verifier: str = "confidence",
        thresholds: list[float] | None = None,
        tolerance: float = 0.0,
        l2: float = 1.0,
        encoder: str | None = None,
        seed: int = 0,
    ):
        super().__init__(seed=seed)
        self.models = models
        self.verifier = verifier
        self.thresholds = thresholds
        self.tolerance = tolerance
        self.l2 = l2
        self.encoder = encoder

    @property
    def needs_embeddings(self) -> bool:  # type: ignore[override]
        return self.verifier == "learned"

    def _resolve_models(self, outcomes):
        if len(outcomes.models) < 2:
            raise RouterlabError(
                f"a cascade needs at least two models; the table has {len(outcomes.models)}"
            )
        if self.models is not None:
            ms = [str(m) for m in self.models]
            if len(ms) < 2 or len(set(ms)) != len(ms):
                raise RouterlabError(f"cascade models must be two or more distinct names, got {ms}")
            for m in ms:
                outcomes.col(m)
            return tuple(ms)
        with np.errstate(all="ignore"):
            cost = np.array(
                [
                    np.nanmean(outcomes.cost[:, j])
                    if np.isfinite(outcomes.cost[:, j]).any()
                    else np.nan
                    for j in range(len(outcomes.models))
                ]
            )
        key = cost if np.isfinite(cost).all() else np.nan_to_num(outcomes.mean_quality(), nan=0.0)
        return tuple(outcomes.models[j] for j in np.argsort(key, kind="stable"))

    # ------------------------------------------------------------------ verifiers
    def _pair_features(self, q: Queries, responses) -> np.ndarray:
        eq = q.embeddings_for(self.encoder).astype(float)
        ea = (
            Queries.from_texts(["" if r is None else str(r) for r in responses])
            .embeddings_for(self.encoder)
            .astype(float)
        )
        return np.hstack([eq, ea, eq * ea])

    def verifier_score_one(
        self, stage: str, prompt: str, answer: str | None, embedding=None
    ) -> float:
        """The learned verifier's score in [0, 1] of one live answer from ``stage`` (a non-final
        stage model): the ridge of :meth:`_verifier_scores` on ``[e_q, e_a, e_q * e_a]``, for a
        server that runs the cascade on real requests. ``embedding``: the prompt's, when known."""
        self._check_fitted()
        if self.verifier != "learned":
            raise RouterlabError(
                f"verifier_score_one scores the learned verifier; this cascade uses {self.verifier!r}"
            )
        early = list(self.models_[:-1])
        if stage not in early:
            raise RouterlabError(f"{stage!r} is not an early stage of this cascade: {early}")
        w = self.verifier_coef_[early.index(stage)]
        d = (len(w) - 1) // 3
        eq = one_embedding(prompt, embedding, self.encoder, d).astype(float)
        answer_text = "" if answer is None else str(answer)
        ea = base._embed_texts([answer_text], self.encoder)[0].astype(float)
        x = np.concatenate([eq, ea, eq * ea])[None, :]
        return float(np.clip(F.Design(x).dot(w), 0.0, 1.0)[0])

    @staticmethod
    def confidence_score(confidence) -> np.ndarray:
        """The confidence verifier's score in [0, 1]: each column of mean token log-probabilities
        becomes ``exp(logprob)`` (a column already in [0, 1] is kept); unknown (nan) scores 0.

        >>> CascadeRouter.confidence_score(np.array([-0.1, -2.0, np.nan])).round(3).tolist()
        [0.905, 0.135, 0.0]
        """
        p = to_probability(confidence)
        return np.clip(np.nan_to_num(p, nan=0.0), 0.0, 1.0)

    def _verifier_scores(self, outcomes, q: Queries) -> np.ndarray:
        """(n, S - 1) verifier scores in [0, 1] for the non-final stages."""
        stages = self.models_[:-1]
        if self.verifier == "confidence":
            conf = outcomes.confidence[:, [outcomes.col(m) for m in stages]]
            return self.confidence_score(conf)
        if self.verifier == "judge":
            cols = []
            for m in stages:
                name = f"judge:{m}"
                if name not in outcomes.queries.columns:
                    raise RouterlabError(
                        f"the judge verifier reads the query column {name!r}, which the table lacks: "
                        "add judge scores in [0, 1] or use verifier='confidence' or 'learned'"
                    )
                cols.append(outcomes.queries[name].to_numpy(dtype=float))
            return np.clip(np.nan_to_num(np.column_stack(cols), nan=0.0), 0.0, 1.0)
        if self.verifier == "learned":
            if outcomes.responses is None:
                raise RouterlabError(
                    "the learned verifier needs answer texts (outcomes.responses): record them, "
                    "or use verifier='confidence'"
                )
            out = []
            for j, m in enumerate(stages):
                X = F.Design(self._pair_features(q, outcomes.responses[:, outcomes.col(m)]))
                out.append(X.dot(self.verifier_coef_[j]))
            return np.clip(np.column_stack(out), 0.0, 1.0)
        raise RouterlabError(
            f"verifier must be 'confidence', 'judge' or 'learned', got {self.verifier!r}"
        )

    # ------------------------------------------------------------------ fit
    def _fit(self, outcomes) -> None:
        q = Queries.from_outcomes(outcomes)
        if self.verifier == "learned":
            if outcomes.responses is None:
                raise RouterlabError(
                    "the learned verifier needs answer texts (outcomes.responses): record them, "
                    "or use verifier='confidence'"
                )
            coefs = []
            for m in self.models_[:-1]:
                j = outcomes.col(m)
                X = F.Design(self._pair_features(q, outcomes.responses[:, j]))
                coefs.append(
                    F.fit_ridge(
                        X, np.nan_to_num(outcomes.quality[:, j], nan=0.0), l2=float(self.l2)
                    )
                )
            self.verifier_coef_ = np.stack(coefs)
        elif (
            self.verifier == "confidence"
            and not np.isfinite(
                outcomes.confidence[:, [outcomes.col(m) for m in self.models_[:-1]]]
            ).any()
        ):
            raise RouterlabError(
                "the confidence verifier needs outcomes.confidence (logprob confidence) for the early "
                "stages; this table has none: use verifier='learned' or 'judge'"
            )
        n_stages = len(self.models_)
        if self.thresholds is not None:
            t = [float(x) for x in self.thresholds]
            if len(t) != n_stages - 1:
                raise RouterlabError(
                    f"{n_stages} stages need {n_stages - 1} thresholds, got {len(t)}"
                )
            self.thresholds_ = np.asarray(t)
            return
        v = self._verifier_scores(outcomes, q)
        qual = np.nan_to_num(outcomes.quality[:, [outcomes.col(m) for m in self.models_]], nan=0.0)
        final = qual[:, -1]
        reaching = np.ones(outcomes.n, dtype=bool)
        thr = np.full(n_stages - 1, _NEVER)
        for s in range(n_stages - 1):
            idx = np.flatnonzero(reaching)
            if not len(idx):
                break
            order = idx[np.argsort(-v[idx, s], kind="stable")]
            sv = v[order, s]
            diff = np.cumsum(qual[order, s] - final[order])
            k = np.arange(1, len(order) + 1)
            block_end = np.append(sv[1:] != sv[:-1], True)  # cut only between distinct scores
            ok = block_end & (diff / k >= -float(self.tolerance) - 1e-12)
            if ok.any():
                kk = int(np.flatnonzero(ok)[-1])
                thr[s] = float(sv[kk])
                reaching[order[: kk + 1]] = False
        self.thresholds_ = thr

    # ------------------------------------------------------------------ decisions
    def _outcomes_of(self, queries):
        q = as_queries(queries)
        if q.outcomes is None:
            raise RouterlabError(
                "a cascade needs the stages' answers: score or route an Outcomes table, not bare prompts"
            )
        return q.outcomes, q

    def stages_tried(self, queries) -> np.ndarray:
        """(n,) number of stages run per query (1 = the first answer was accepted)."""
        self._check_fitted()
        o, q = self._outcomes_of(queries)
        v = self._verifier_scores(o, q)
        acc = v >= self.thresholds_[None, :]
        acc = np.column_stack([acc, np.ones(len(v), dtype=bool)])  # the last stage always answers
        return np.argmax(acc, axis=1) + 1

    def _score(self, queries: Queries) -> np.ndarray:
        o, q = self._outcomes_of(queries)
        v = self._verifier_scores(o, q)
        return np.column_stack([v, np.full(len(v), float(min(self.thresholds_[-1], 1.0)))])

    def route(self, queries, threshold: float | None = None) -> np.ndarray:
        """The model whose answer is finally returned."""
        tried = self.stages_tried(queries)
        return np.asarray(self.models_, dtype=object)[tried - 1]

    def simulate(self, outcomes, threshold: float | None = None):
        """RoutingResult: final model, with cost and latency summed over every stage tried."""
        from ..evaluate import apply

        tried = self.stages_tried(outcomes)
        cols = [outcomes.col(m) for m in self.models_]
        ran = np.arange(len(cols))[None, :] < (
            tried[:, None] - 1
        )  # earlier stages, not the final one
        extra_cost = (np.nan_to_num(outcomes.cost[:, cols], nan=0.0) * ran).sum(1)
        extra_lat = (np.nan_to_num(outcomes.latency[:, cols], nan=0.0) * ran).sum(1)
        final = np.asarray(self.models_, dtype=object)[tried - 1]
        return apply(
            outcomes,
            final,
            extra_cost=extra_cost,
            extra_latency=extra_lat,
            calls=tried,
            name="cascade",
        )
