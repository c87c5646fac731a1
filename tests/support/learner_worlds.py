"""A simulated IRT world for the learner-model tests."""

from __future__ import annotations

import numpy as np

from levelwise.learners.base import Responses


def irt_world(
    n_learners: int,
    *,
    seed: int,
    drift: float,
    n_items: int = 60,
    n_skills: int = 4,
    length: int = 40,
) -> tuple[Responses, np.ndarray]:
    """Fixed item difficulties, one skill per item, learners who improve.

    Each learner starts at θ ~ N(0, 1) and gains ``drift`` after every answer;
    the item difficulties are the same for every seed. Returns the responses
    and the difficulties.
    """
    difficulty = np.random.default_rng(0).normal(0.0, 1.0, n_items)
    rng = np.random.default_rng(seed)
    item_skill = np.arange(n_items) % n_skills
    learner, skill, item, correct = [], [], [], []
    for u in range(n_learners):
        theta = rng.normal(0.0, 1.0)
        for _ in range(length):
            i = int(rng.integers(n_items))
            y = int(rng.random() < 1 / (1 + np.exp(-(theta - difficulty[i]))))
            learner.append(u)
            skill.append(item_skill[i])
            item.append(i)
            correct.append(y)
            theta += drift
    data = Responses.from_arrays(
        learner, skill, correct, item=item, n_skills=n_skills, n_items=n_items
    )
    return data, difficulty
