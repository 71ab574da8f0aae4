from django.core.management.base import BaseCommand

from users.models import User


class Command(BaseCommand):
    help = "Tell the person starting the server how to get a first account."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000")

    def handle(self, *args, url: str, **options):
        if User.objects.exists():
            self.stdout.write(
                f"Banderole: open the dashboard at {url}/ (also: the Django admin at {url}/admin/, "
                f"the API with POST {url}/api/v1/auth/login/)"
            )
            return
        self.stdout.write(
            self.style.WARNING(
                f"Banderole has no user yet. Create the first admin at {url}/api/v1/users/config/init/ "
                f"(or with: cd api && ../.venv/bin/python manage.py createsuperuser), then sign in to "
                f"the dashboard at {url}/"
            )
        )
