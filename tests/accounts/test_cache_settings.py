from django.conf import settings

from config import embedded
from config.settings import cache_redis_url


def test_the_cache_is_redis_beside_the_celery_queues_not_in_their_database():
    assert cache_redis_url(f"redis+socket://{embedded.redis_socket()}") == f"unix://{embedded.redis_socket()}?db=1"
    assert cache_redis_url("redis://redis:6379/0") == "redis://redis:6379/1"
    assert cache_redis_url("rediss://:secret@redis.example.org:6380/3") == "rediss://:secret@redis.example.org:6380/4"
    assert cache_redis_url("redis://redis:6379") == "redis://redis:6379/1"
    assert cache_redis_url("amqp://guest@rabbit//") is None


def test_the_test_run_uses_the_real_redis():
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
