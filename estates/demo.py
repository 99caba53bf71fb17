"""A realistic, deterministic demo city (Ningbo-like) for `make run`, tests and benchmarks.

Nothing here is hard-coded into the software: it only writes registry rows, exactly as
an import would. The same (estates, seed) always gives the same city.
"""

import math
import random
from dataclasses import dataclass

from django.db import transaction
from stdnum.cn import uscc

from core.demo import register_demo_step

from .models import Agency, Estate, PropertyFirm

CITY_NAME = "宁波市住房和城乡建设委员会"
CITY_SHORT = "宁波市"
# (district, code prefix, division code) — the 2011 layout of Ningbo's districts and counties.
DISTRICTS = [
    ("海曙区", "HS", "330203"), ("江东区", "JD", "330204"), ("江北区", "JB", "330205"),
    ("鄞州区", "YZ", "330212"), ("镇海区", "ZH", "330211"), ("北仑区", "BL", "330206"),
    ("余姚市", "YY", "330281"), ("慈溪市", "CX", "330282"), ("奉化市", "FH", "330283"),
    ("宁海县", "NH", "330226"), ("象山县", "XS", "330225"),
]
# The functional zones a large registry adds (each under the division of the district it lies in);
# with them a registry of tens of thousands of estates keeps districts of a plausible size.
EXTRA_DISTRICTS = [
    ("宁波高新区", "GX", "330204"), ("东钱湖旅游度假区", "DQ", "330212"), ("杭州湾新区", "HW", "330282"),
    ("大榭开发区", "DX", "330206"), ("梅山保税港区", "MS", "330206"),
]
STREET_ROOTS = [
    "南门", "西门", "鼓楼", "月湖", "白云", "段塘", "望春", "江厦", "百丈", "东胜", "明楼", "福明", "新明", "东柳",
    "白鹤", "中马", "白沙", "孔浦", "文教", "甬江", "庄桥", "洪塘", "钟公庙", "首南", "下应", "潘火", "石碶", "梅墟",
    "招宝山", "蛟川", "骆驼", "庄市", "新碶", "大碶", "小港", "霞浦", "春晓", "凤山", "兰江", "梨洲", "阳明", "浒山",
    "古塘", "白沙路", "坎墩", "锦屏", "岳林", "江口", "跃龙", "桃源", "丹东", "丹西", "爵溪", "东郊", "新城", "高桥",
]
COMMUNITY_SUFFIXES = ["社区", "一社区", "二社区", "新村社区", "花园社区", "东社区", "西社区", "南社区", "北社区"]
ESTATE_HEADS = [
    "阳光", "锦绣", "翠柏", "东湖", "金色", "书香", "天一", "月湖", "南塘", "四季", "紫郡", "怡江", "明湖", "青林",
    "春江", "丽园", "华联", "银亿", "嘉禾", "和美", "东方", "世纪", "都市", "滨江", "水岸", "绿洲", "香樟", "海景",
    "湖畔", "雅苑", "凯旋", "荷花", "桂花", "玉兰", "江南", "新城", "未来", "康乐", "福泰", "泰和", "永丰", "兴宁",
]
ESTATE_TAILS_NEW = ["花园", "家园", "公寓", "名邸", "华庭", "雅苑", "府", "城", "湾", "国际"]
ESTATE_TAILS_OLD = ["新村", "小区", "一村", "二村", "三村", "宿舍区", "公寓"]
FIRM_HEADS = [
    "宁波", "甬城", "海曙", "江东", "四明", "天一", "和丰", "东钱湖", "浙东", "甬港", "三江", "鄞城", "明州", "慈城",
    "银杏", "金港", "安居", "华宁", "众安", "恒居", "嘉和", "宁兴", "新江厦", "永安",
]
FIRM_TAILS = ["物业服务有限公司", "物业管理有限公司", "物业服务股份有限公司", "物业管理服务有限公司"]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玲辉建国红梅林斌波宁浩宇婷雪琳晨晓燕鹏飞亮"
ESTATE_BATCH = 5000
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ORG_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass
class DemoCity:
    city: Agency
    districts: list
    streets: list
    firms: list
    estates_created: int


def credit_code(rng, division_code):
    """A structurally valid 18-character unified social credit code (with check character)."""
    body = "91" + division_code + "".join(rng.choice(ORG_CODE_ALPHABET) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def person_name(rng):
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def mobile(rng):
    return rng.choice(("138", "139", "136", "158", "159", "187", "189", "133", "150")) + f"{rng.randrange(10**8):08d}"


def landline(rng):
    return f"0574-8{rng.randrange(10**7):07d}"


def _unique(rng, make, used):
    for _ in range(1000):
        value = make()
        if value not in used:
            used.add(value)
            return value
    raise RuntimeError("name pool exhausted")


CN_DIGITS = "零一二三四五六七八九"


def chinese_number(n):
    """1..9999 in Chinese numerals, as in 二期, 十二期, 一百零三期."""
    if n < 10:
        return CN_DIGITS[n]
    if n < 20:
        return "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return CN_DIGITS[n // 10] + "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        tail = "" if not rest else (("零" + CN_DIGITS[rest]) if rest < 10 else
                                    (CN_DIGITS[rest // 10] + "十" + (CN_DIGITS[rest % 10] if rest % 10 else "")))
        return CN_DIGITS[n // 100] + "百" + tail
    return str(n)


def estate_phase(base, n):
    return f"{base}{chinese_number(n)}期"


def firm_branch(base, n):
    return f"{base}第{chinese_number(n)}分公司"


class UniqueNames:
    """Distinct names drawn from ``rng``, never exhausted.

    While the pool is roomy a name is drawn as before (up to ``tries`` draws until an unused one), so
    small cities keep exactly their old names. Once a draw fails ``tries`` times the pool is taken as
    saturated for good: from then on one draw (of ``saturated_make`` if given, a larger pool) and, if
    that name is taken, its next free variant (``variant(base, n)``, n = 2, 3, …: 阳光花园二期). Each name
    costs a bounded number of draws, so 200,000 names take a second or two, and the sequence depends
    only on the rng: the same seed gives the same names."""

    def __init__(self, *, variant, tries=50):
        self.variant, self.tries = variant, tries
        self.used, self.next_variant, self.saturated = set(), {}, False

    def take(self, make, saturated_make=None):
        if not self.saturated:
            for _ in range(self.tries):
                value = make()
                if value not in self.used:
                    self.used.add(value)
                    return value
            self.saturated = True
        base = (saturated_make or make)()
        if base not in self.used:
            self.used.add(base)
            return base
        n = self.next_variant.get(base, 2)
        while (value := self.variant(base, n)) in self.used:
            n += 1
        self.next_variant[base] = n + 1
        self.used.add(value)
        return value


def estate_name_makers(rng, *, old):
    """The draws of one estate name: the usual one (a head, sometimes two, and a tail fitting its age)
    and the larger pool used once that is exhausted (always two parts: a street root or a head, then a
    head). Only the tail is drawn here, so the rng sequence of a small city is what it always was."""
    tail = rng.choice(ESTATE_TAILS_OLD if old else ESTATE_TAILS_NEW)
    usual = lambda: (rng.choice(STREET_ROOTS[:20] + ESTATE_HEADS) + rng.choice(ESTATE_HEADS) + tail  # noqa: E731
                     if rng.random() < 0.3 else rng.choice(ESTATE_HEADS) + tail)
    larger = lambda: two_parts(rng, STREET_ROOTS + ESTATE_HEADS, ESTATE_HEADS) + tail  # noqa: E731
    return usual, larger


def two_parts(rng, firsts, seconds):
    """Two different words (never 荷花荷花)."""
    first = rng.choice(firsts)
    while (second := rng.choice(seconds)) == first:
        pass
    return first + second


def firm_name_maker(rng):
    return lambda: rng.choice(FIRM_HEADS) + rng.choice(FIRM_HEADS[:8] + [""]) + rng.choice(FIRM_TAILS)


def firm_saturated_maker(rng, district_short):
    """District-prefixed firm names (鄞州区锦绣阳光物业服务有限公司) once the city-wide pool is used up."""
    return lambda: district_short + two_parts(rng, FIRM_HEADS + ESTATE_HEADS, ESTATE_HEADS) + rng.choice(FIRM_TAILS)


def district_count(estates):
    """6 districts for a small city, Ningbo's 11 up to 20,000 estates, then its functional zones too."""
    if estates <= 1500:
        return 6
    if estates <= 20000:
        return len(DISTRICTS)
    return len(DISTRICTS) + len(EXTRA_DISTRICTS)


@transaction.atomic
def build_city(*, estates=300, seed=2011, city_name=CITY_NAME, city_short=CITY_SHORT, old_estate_share=0.35):
    """Create one city bureau, its districts, streets and communities, firms of all grades
    and `estates` estates. Returns a DemoCity. Deterministic for a given (estates, seed)."""
    rng = random.Random(seed)
    n_districts = district_count(estates)
    per_district = max(1, math.ceil(estates / n_districts))
    # About 25 estates a street; every street root at most once a district (56 of them).
    streets_per_district = max(3, min(len(STREET_ROOTS), math.ceil(per_district / 25)))
    city = Agency.objects.create(name=city_name, short_name=city_short, level=Agency.Level.CITY,
                                 division_code="330200", phone="0574-87189000", address="宁波市宁穿路 2001 号")
    districts, streets, communities_by_street = [], [], {}
    street_names = list(STREET_ROOTS)
    rng.shuffle(street_names)
    street_iter = iter(street_names * 50)
    all_districts = DISTRICTS + EXTRA_DISTRICTS
    for d_name, _prefix, d_code in all_districts[:n_districts]:
        district = Agency.objects.create(
            name=f"{d_name}住房和城乡建设局", short_name=d_name, level=Agency.Level.DISTRICT, parent=city,
            division_code=d_code, phone=landline(rng),
        )
        districts.append(district)
        used = set()
        for _ in range(streets_per_district):
            s_root = _unique(rng, lambda: next(street_iter), used)
            street = Agency.objects.create(name=f"{s_root}街道办事处", short_name=f"{s_root}街道",
                                           level=Agency.Level.STREET, parent=district, phone=landline(rng))
            streets.append(street)
            comms = []
            for suffix in rng.sample(COMMUNITY_SUFFIXES, 3):
                comms.append(Agency.objects.create(
                    name=f"{s_root}{suffix}居民委员会", short_name=f"{s_root}{suffix}",
                    level=Agency.Level.COMMUNITY, parent=street,
                ))
            communities_by_street[street.pk] = comms

    # Firms: about one per eight estates, graded roughly 15% / 35% / 50%.
    n_firms = max(len(districts) * 2, estates // 8)
    firms, codes = [], set()
    firm_names = UniqueNames(variant=firm_branch)
    for i in range(n_firms):
        district = districts[i % len(districts)]
        grade = 1 if rng.random() < 0.15 else (2 if rng.random() < 0.41 else 3)
        if i < 3:
            grade = i + 1  # every grade exists even in the smallest city
        name = firm_names.take(firm_name_maker(rng), firm_saturated_maker(rng, district.short_name))
        firms.append(PropertyFirm(
            name=name, grade=grade,
            credit_code=_unique(rng, lambda d=district: credit_code(rng, d.division_code), codes),
            address=f"{district.short_name}{rng.choice(STREET_ROOTS)}路 {rng.randint(1, 999)} 号",
            contact_person=person_name(rng), contact_phone=mobile(rng), hotline=landline(rng),
            complaint_phone=landline(rng), district=district,
        ))
    firms = PropertyFirm.objects.bulk_create(firms)
    firms_by_district = {}
    for firm in firms:
        firms_by_district.setdefault(firm.district_id, []).append(firm)

    streets_by_district = {}
    for street in streets:
        streets_by_district.setdefault(street.parent_id, []).append(street)
    prefix_by_district = {d.pk: all_districts[i][1] for i, d in enumerate(districts)}
    code_width = max(5, len(str(estates)))
    rows, created, names = [], 0, UniqueNames(variant=estate_phase)
    for i in range(estates):
        district = districts[i % len(districts)]
        street = rng.choice(streets_by_district[district.pk])
        community = rng.choice(communities_by_street[street.pk])
        # Most estates are run by a firm of their own district, some by firms from elsewhere.
        pool = firms_by_district[district.pk] if rng.random() < 0.85 else firms
        firm = rng.choice(pool)
        old = rng.random() < old_estate_share
        year = rng.randint(1982, 1998) if old else rng.randint(1999, 2011)
        name = names.take(*estate_name_makers(rng, old=old))
        households = rng.randint(80, 600) if old else rng.randint(150, 3000)
        rows.append(Estate(
            code=f"{prefix_by_district[district.pk]}{i + 1:0{code_width}d}", name=name,
            address=f"{district.short_name}{street.short_name.removesuffix('街道')}路 {rng.randint(1, 888)} 号",
            district=district, street=street, community=community, firm=firm,
            category=rng.choices((1, 2, 3), weights=(2, 5, 3))[0] if not old else rng.choice((2, 3)),
            year_built=year, households=households, floor_area=households * rng.randint(70, 120),
            has_owners_committee=rng.random() < 0.45, hotline=landline(rng) if rng.random() < 0.6 else "",
            complaint_phone="",
        ))
        if len(rows) >= ESTATE_BATCH:
            # Insert as we go: memory stays flat in the number of estates (bulk_create's batch_size alone
            # would still hold every unsaved Estate in one list).
            Estate.objects.bulk_create(rows, batch_size=1000)
            created += len(rows)
            rows = []
    Estate.objects.bulk_create(rows, batch_size=1000)
    created += len(rows)
    return DemoCity(city=city, districts=districts, streets=streets, firms=firms, estates_created=created)


def demo_city_step(command, *, estates=300, seed=2011, **options):
    """The setup_demo step (core/demo.py): the demo city, once (a registry with data is left as it is)."""
    if Agency.objects.exists():
        command.stdout.write("Registry already has data; demo city not rebuilt.")
        return
    city = build_city(estates=estates, seed=seed)
    command.stdout.write(f"Demo city: {len(city.districts)} districts, {city.estates_created} estates.")


register_demo_step(10, demo_city_step)
