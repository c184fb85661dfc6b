from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from onboarding.models import Submission


@receiver(post_delete, sender=Submission)
def delete_agreement_file(sender, instance: Submission, **kwargs) -> None:
    # Only once the row is really gone: a rolled-back delete keeps its file.
    if instance.agreement.name:
        storage, name = instance.agreement.storage, instance.agreement.name
        transaction.on_commit(lambda: storage.delete(name))
