"""Excel upload of the coordinator roster (协调员名册) by a firm, on core/xlsx.py.

One row per estate: the estate code, the coordinator's name, phone and appointment date.
Every row is checked first (the estate must be one the user may file for, once per file);
if any row is wrong nothing is saved and the user gets the marked copy. Otherwise each row
is filed through ``campaigns.services.coordinator_file`` inside the importer's single
transaction, so the obligations counting coordinators are recounted exactly as when the
form is used.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import xlsx
from estates import scoping
from estates.models import Coordinator, Estate

from . import services

ROSTER_SPEC = xlsx.ImportSpec(
    title=gettext_lazy("协调员名册"),
    columns=[
        xlsx.Column(gettext_lazy("小区编码"), "estate_code", required=True, parser=xlsx.text(32, upper=True),
                    example="HS001", help_text=gettext_lazy("本企业在管小区的编码（见“我的任务”或企业首页）。")),
        xlsx.Column(gettext_lazy("小区名称"), "estate_name", parser=xlsx.text(100), width=24,
                    help_text=gettext_lazy("仅供核对，不导入。")),
        xlsx.Column(gettext_lazy("协调员姓名"), "name", required=True, parser=xlsx.text(50), example="王芳"),
        xlsx.Column(gettext_lazy("联系电话"), "phone", required=True, parser=xlsx.parse_phone, example="13800000000",
                    help_text=gettext_lazy("手机或固定电话。")),
        xlsx.Column(gettext_lazy("聘任日期"), "appointed_on", required=True, parser=xlsx.parse_date,
                    example="2011-08-01"),
    ],
    instructions=[gettext_lazy("每个小区一行；同一小区已有在任协调员的，将由新填写的协调员接任，原协调员保留为历史记录。"),
                  gettext_lazy("下载的模板已列出本企业在管的全部小区（编码和名称），在任协调员已填好；只需填写或修改"
                               "协调员姓名、电话和聘任日期。未填写协调员的小区行不导入。")],
    prefilled=("estate_code", "estate_name"),
)


def roster_template_rows(roster):
    """One template row per estate of the roster (selectors.coordinator_roster): code and name,
    and the current coordinator where there is one, so re-uploading it unchanged changes nothing."""
    return [[e.code, e.name, e.coordinator_name or None, e.coordinator_phone or None, e.coordinator_appointed_on]
            for e in roster]


class CoordinatorRosterImporter(xlsx.Importer):
    spec = ROSTER_SPEC
    marked_name = gettext_lazy("协调员名册_错误标注")

    def prepare(self, rows):
        codes = {row.values.get("estate_code") for row in rows if row.values.get("estate_code")}
        visible = scoping.restrict(Estate.objects.filter(code__in=codes, is_active=True), self.user,
                                   **scoping.ESTATE_LINKS)
        if self.user.firm_id:
            visible = visible.filter(firm_id=self.user.firm_id)
        self.estates = {e.code: e for e in visible.select_related("firm")}
        self.current = {
            (c.estate_id, c.name, c.phone, c.appointed_on)
            for c in Coordinator.objects.filter(estate__in=self.estates.values(), is_current=True)
        }
        self.seen = {}

    def validate(self, row):
        code = row.values.get("estate_code")
        if not code:
            return
        if code not in self.estates:
            row.error("estate_code", _("找不到本单位在管的小区“%(code)s”。") % {"code": code})
            return
        if code in self.seen:
            row.error("estate_code", _("与第 %(n)s 行重复：每个小区只填一行。") % {"n": self.seen[code]})
        self.seen.setdefault(code, row.number)

    def save(self, rows):
        counts = xlsx.ImportCounts()
        for row in rows:
            estate = self.estates[row.values["estate_code"]]
            key = (estate.pk, row.values["name"], row.values["phone"], row.values["appointed_on"])
            if key in self.current:
                counts.unchanged += 1
                continue
            services.coordinator_file(user=self.user, estate=estate, name=row.values["name"],
                                      phone=row.values["phone"], appointed_on=row.values["appointed_on"])
            counts.created += 1
        return counts
