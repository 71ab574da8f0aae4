from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from users.forms import EmailAdminAuthenticationForm
from users.models import User
from users.services import end_sign_ins, record_email_change

# Failed admin sign-ins must reach django-axes under the same name as the API's.
admin.site.login_form = EmailAdminAuthenticationForm


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email", "username")

    def clean_username(self) -> str:
        # Django's form refuses a username another user has; ours is a display name, not unique.
        return self.cleaned_data.get("username", "")


class UserChangeAdminForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = UserCreationAdminForm
    form = UserChangeAdminForm
    ordering = ("email",)
    list_display = ("email", "username", "first_name", "last_name", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "email_verified")
    search_fields = ("email", "username", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "email_verified", "password")}),
        ("Personal info", {"fields": ("username", "first_name", "last_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "username", "usable_password", "password1", "password2")}),
    )

    # An administrator changing someone's password or email ends that person's sign-ins,
    # as the API's own set_password / set_email do.
    def save_model(self, request: HttpRequest, obj: User, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "email" in form.changed_data and "email_verified" not in form.changed_data:
            record_email_change(obj)
        elif change and "email" in form.changed_data:
            end_sign_ins(obj)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and isinstance(response, HttpResponseRedirect):
            end_sign_ins(self.get_object(request, id))  # type: ignore[arg-type]
        return response
