from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views
from .forms import LoginForm, PortalPasswordChangeForm, PortalPasswordResetForm, PortalSetPasswordForm

app_name = "accounts"
urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html", authentication_form=LoginForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/", views.settings_view, name="settings"),
    path("firm-users/", views.firm_users, name="firm_users"),
    path("firm-users/<int:pk>/", views.firm_user_action, name="firm_user_action"),
    path("password/", auth_views.PasswordChangeView.as_view(
        template_name="accounts/password_change.html", form_class=PortalPasswordChangeForm,
        success_url=reverse_lazy("accounts:password_change_done")), name="password_change"),
    path("password/done/", views.password_change_done, name="password_change_done"),
    # Forgotten password, and the link mailed to a new account (accounts.services.user_send_password_link).
    path("password-reset/", auth_views.PasswordResetView.as_view(
        template_name="accounts/password_reset_form.html", form_class=PortalPasswordResetForm,
        subject_template_name="accounts/email/password_link_subject.txt",
        email_template_name="accounts/email/password_link.txt",
        success_url=reverse_lazy("accounts:password_reset_done")), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(
        template_name="accounts/password_reset_done.html"), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(
        template_name="accounts/password_reset_confirm.html", form_class=PortalSetPasswordForm,
        success_url=reverse_lazy("accounts:password_reset_complete")), name="password_reset_confirm"),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(
        template_name="accounts/password_reset_complete.html"), name="password_reset_complete"),
]
