"""Publishing a week retires every reader's ranked week (its revision changed): rank recent readers' ahead."""


def warm_on_publish(sender, digest, **kwargs) -> None:
    from tasks.digests import warm_digest_weeks_task  # tasks import the apps, not the other way at load

    warm_digest_weeks_task.delay(digest.week_label)
