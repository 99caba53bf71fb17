from .models import User


def user_update_settings(*, user: User, data: dict) -> User:
    for field, value in data.items():
        setattr(user, field, value)
    user.full_clean()
    user.save(update_fields=[*data.keys()])
    return user
