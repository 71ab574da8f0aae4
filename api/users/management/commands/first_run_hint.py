from django.core.management.base import BaseCommand

from users.models import User


class Command(BaseCommand):
    help = "Tell the person starting the server how to get a first account."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000")

    def handle(self, *args, url: str, **options):
        if User.objects.exists():
            self.stdout.write(f"Banderole: sign in at {url}/admin/ or POST {url}/api/v1/auth/login/")
            return
        self.stdout.write(
            self.style.WARNING(
                f"Banderole has no user yet. Create the first admin at {url}/api/v1/users/config/init/ "
                "or with: cd api && ../.venv/bin/python manage.py createsuperuser"
            )
        )
