"""Retriever's ML core: a two-tower retriever and its evaluation, with no Django in sight.

Imports torch and numpy (scikit-learn for the TF-IDF baseline); runs alone on a GPU machine.
"""
