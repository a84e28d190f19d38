"""Publishing a week starts its newsletters (the signal is sent on commit, so the worker sees the digest)."""


def start_on_publish(sender, digest, **kwargs) -> None:
    from tasks.newsletters import start_newsletters_task  # tasks import the apps, not the other way at load

    start_newsletters_task.delay(digest.week_label, published_only=True)
