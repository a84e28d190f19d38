"""Retriever's ML core: a two-tower retriever and its evaluation, with no Django in sight.

Imports torch and numpy (scikit-learn for two baselines); runs alone on a GPU machine.
"""
