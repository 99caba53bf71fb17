from django.db import models


class Item(models.Model):
    """A row of a few plain columns, as a registry row might have."""

    name = models.CharField(max_length=100)
    code = models.CharField(max_length=20, unique=True)
    address = models.CharField(max_length=200)
    households = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.name
