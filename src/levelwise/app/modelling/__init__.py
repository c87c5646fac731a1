"""Modelling: fit mastery from answers, datasets, prerequisite graphs."""
