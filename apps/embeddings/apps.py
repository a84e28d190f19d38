from django.apps import AppConfig


class EmbeddingsConfig(AppConfig):
    name = "apps.embeddings"
    verbose_name = "Embeddings (paper vectors in pgvector)"
