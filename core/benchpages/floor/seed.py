"""Migrate the floor's database, add ``rows`` items and a superuser, print the superuser's session as JSON.

    python -m core.benchpages.floor.seed 1000     (DJANGO_SETTINGS_MODULE=core.benchpages.floor.settings)
"""

import json
import os
import sys


def main(rows):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.benchpages.floor.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client

    from .models import Item

    call_command("migrate", verbosity=0, interactive=False, run_syncdb=True)
    Item.objects.bulk_create([
        Item(name=f"小区 {i}", code=f"F{i:06d}", address=f"某某路 {i} 号", households=100 + i % 900)
        for i in range(rows)
    ], batch_size=1000)
    user = User.objects.create_superuser("floor", "floor@example.com", None)
    client = Client()
    client.force_login(user)
    print(json.dumps({"cookies": {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value},
                      "rows": Item.objects.count()}))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
