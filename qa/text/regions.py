"""Gazetteer of Chinese provinces and prefecture-level cities.

``find_regions`` names the places a text mentions (canonical short names such as
``山东``/``德州``); ``province_of`` maps a place to its province. The tables are
parsed lazily on first use and cached.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache, lru_cache

logger = logging.getLogger(__name__)

#: (short name, full name, cities). ``*`` marks a city whose bare name is also an
#: everyday word: it only counts in a full form (``安康市``) or right after its
#: province (``陕西安康``). ``name=alias`` adds aliases; every city also matches
#: ``name市``. Municipalities, SARs and 吉林 (also a city) have no city list.
_TABLE: tuple[tuple[str, str, str], ...] = (
    ("北京", "北京市", ""),
    ("天津", "天津市", ""),
    ("上海", "上海市", ""),
    ("重庆", "重庆市", ""),
    ("河北", "河北省", "石家庄 唐山 秦皇岛 邯郸 邢台 保定 张家口 承德 沧州 廊坊 衡水"),
    ("山西", "山西省", "太原 大同 阳泉 长治 晋城 朔州 晋中 运城 忻州 临汾 吕梁"),
    (
        "内蒙古",
        "内蒙古自治区=内蒙",
        "呼和浩特 包头 乌海 赤峰 通辽 鄂尔多斯 呼伦贝尔 巴彦淖尔 乌兰察布 兴安盟 锡林郭勒 阿拉善",
    ),
    ("辽宁", "辽宁省", "沈阳 大连 鞍山 抚顺 本溪 丹东 锦州 营口 阜新 辽阳 盘锦 铁岭 *朝阳 葫芦岛"),
    ("吉林", "吉林省=吉林市", "长春 四平 辽源 *通化 白山 松原 白城 延边"),
    (
        "黑龙江",
        "黑龙江省",
        "哈尔滨 齐齐哈尔 鸡西 鹤岗 双鸭山 大庆 伊春 佳木斯 七台河 牡丹江 黑河 绥化 大兴安岭",
    ),
    ("江苏", "江苏省", "南京 无锡 徐州 常州 苏州 南通 连云港 淮安 盐城 扬州 镇江 泰州 宿迁"),
    ("浙江", "浙江省", "杭州 宁波 温州 嘉兴 湖州 绍兴 金华 衢州 舟山 台州 丽水"),
    (
        "安徽",
        "安徽省",
        "合肥 芜湖 蚌埠 淮南 马鞍山 淮北 铜陵 安庆 黄山 滁州 阜阳 宿州 六安 亳州 池州 宣城",
    ),
    ("福建", "福建省", "福州 厦门 莆田 三明 泉州 漳州 南平 龙岩 宁德"),
    ("江西", "江西省", "南昌 景德镇 萍乡 九江 新余 鹰潭 赣州 吉安 宜春 抚州 上饶"),
    (
        "山东",
        "山东省",
        "济南 青岛 淄博 枣庄 东营 烟台 潍坊 济宁 泰安 威海 *日照 临沂 德州 聊城 滨州 菏泽",
    ),
    (
        "河南",
        "河南省",
        "郑州 开封 洛阳 平顶山 安阳 鹤壁 新乡 焦作 濮阳 许昌 漯河 三门峡 南阳 商丘 信阳 周口 "
        "驻马店 济源",
    ),
    (
        "湖北",
        "湖北省",
        "武汉 黄石 十堰 宜昌 襄阳 鄂州 荆门 孝感 荆州 黄冈 咸宁 随州 恩施 仙桃 潜江 天门 神农架",
    ),
    (
        "湖南",
        "湖南省",
        "长沙 株洲 湘潭 衡阳 邵阳 岳阳 常德 张家界 益阳 郴州 永州 怀化 娄底 湘西",
    ),
    (
        "广东",
        "广东省",
        "广州 韶关 深圳 珠海 汕头 佛山 江门 湛江 茂名 肇庆 惠州 梅州 汕尾 河源 阳江 清远 东莞 "
        "中山 潮州 揭阳 云浮",
    ),
    (
        "广西",
        "广西壮族自治区",
        "南宁 柳州 桂林 梧州 北海 防城港 钦州 贵港 玉林 百色 贺州 河池 *来宾 崇左",
    ),
    ("海南", "海南省", "海口 三亚 三沙 儋州"),
    (
        "四川",
        "四川省",
        "成都 自贡 攀枝花 泸州 德阳 绵阳 广元 遂宁 内江 乐山 南充 眉山 宜宾 广安 达州 雅安 巴中 "
        "资阳 阿坝 甘孜 凉山",
    ),
    ("贵州", "贵州省", "贵阳 六盘水 遵义 安顺 毕节 铜仁 黔西南 黔东南 黔南"),
    (
        "云南",
        "云南省",
        "昆明 曲靖 玉溪 保山 昭通 丽江 普洱 临沧 楚雄 红河 文山 西双版纳 大理 德宏 怒江 迪庆",
    ),
    ("西藏", "西藏自治区", "拉萨 日喀则 昌都 林芝 *山南 那曲 *阿里=阿里地区"),
    ("陕西", "陕西省", "西安 铜川 宝鸡 咸阳 渭南 延安 汉中 榆林 *安康 商洛"),
    (
        "甘肃",
        "甘肃省",
        "兰州 嘉峪关 金昌 *白银 天水 武威 张掖 平凉 酒泉 庆阳 定西 陇南 临夏 甘南",
    ),
    ("青海", "青海省", "西宁 海东 海北 黄南 海南州=海南藏族自治州 果洛 玉树 海西"),
    ("宁夏", "宁夏回族自治区", "银川 石嘴山 吴忠 固原 *中卫"),
    (
        "新疆",
        "新疆维吾尔自治区",
        "乌鲁木齐 克拉玛依 吐鲁番 哈密 昌吉 博尔塔拉 巴音郭楞 阿克苏 克孜勒苏 喀什 *和田=和田地区 "
        "伊犁 塔城 阿勒泰 石河子",
    ),
    ("台湾", "台湾省", "台北 台中 台南 高雄"),
    ("香港", "香港特别行政区", ""),
    ("澳门", "澳门特别行政区", ""),
)

#: Provincial-level names that are cities and rank with cities ("most specific first").
_CITY_LEVEL = frozenset({"北京", "天津", "上海", "重庆", "香港", "澳门"})

#: Ordinary words (and word junctions) that contain a place name; masked before matching.
_NOT_PLACES = re.compile(
    "|".join(
        (
            "大同小异|世界大同|天下大同|长治久安|四平八稳|四平方|三明治|平安顺|广安门|北海道",
            "大理石|大理寺|大理岩|大理想|普洱茶|玉树临风|文山会海|白山黑水|东西藏|东躲西藏",
            "南天门|孙中山|出海口|周口店|复合肥|幸福建|指南通|天津(?=贴)|江门(?=诊)|东西安",
            "中山(?:大学|医院|路|装|公园|陵)",
            "新乡(?=[村镇])",
            "[已未]开封|开封(?=[后前即过])",
            "(?<=[医参社投担确续退承])保[定山]",
            "(?<=[完变形组造达构促养赞合制做改换])成都",
            "(?<=[嘴尾下泥])巴中",
            "(?<=[拖迟推顺])延安",
            "(?<=[一肯确决])定西",
        )
    )
)


@dataclass(frozen=True)
class _Gazetteer:
    aliases: dict[str, tuple[str, bool]]  # alias -> (canonical name, needs its province before)
    province: dict[str, str]  # canonical name -> province short name
    max_len: int
    initials: frozenset[str]  # first characters of the aliases


@cache
def _gazetteer() -> _Gazetteer:
    aliases: dict[str, tuple[str, bool]] = {}
    province: dict[str, str] = {}
    for short, full, cities in _TABLE:
        province[short] = short
        for alias in (short, *full.split("=")):
            aliases[alias] = (short, False)
        for token in cities.split():
            name, *extra = token.lstrip("*").split("=")
            province[name] = short
            aliases[name] = (name, token.startswith("*"))
            if not name.endswith(("盟", "州")):
                aliases[name + "市"] = (name, False)
            for alias in extra:
                aliases[alias] = (name, False)
    logger.debug("Gazetteer loaded: %s places, %s aliases", len(province), len(aliases))
    initials = frozenset(alias[0] for alias in aliases)
    return _Gazetteer(aliases, province, max(map(len, aliases)), initials)


def _scan(text: str) -> list[tuple[str, int]]:
    """(canonical name, start) of every place mention, left to right, longest match first.

    Only positions holding an alias's first character are tried (most text holds none).
    """
    gaz = _gazetteer()
    masked = _NOT_PLACES.sub(lambda m: "\0" * len(m.group()), text)
    found: list[tuple[str, int]] = []
    last_end = -1
    i = 0
    while i < len(masked):
        if masked[i] not in gaz.initials:
            i += 1
            continue
        for length in range(min(gaz.max_len, len(masked) - i), 1, -1):
            hit = gaz.aliases.get(masked[i : i + length])
            if hit is None:
                continue
            name, guarded = hit
            after_province = last_end == i and found[-1][0] == gaz.province[name]
            if guarded and not after_province:
                continue
            found.append((name, i))
            i += length
            last_end = i
            break
        else:
            i += 1
    return found


def find_regions(text: str) -> tuple[str, ...]:
    """Places named in ``text``: cities first, then provinces, each in order of first appearance.

    Args:
        text: Any text.

    Returns:
        Canonical short names without duplicates, e.g. ``("德州", "山东")``.
        Municipalities and SARs (上海, 香港 …) rank with cities.
    """
    gaz = _gazetteer()
    names = list(dict.fromkeys(name for name, _ in _scan(text)))
    cities = [n for n in names if n in _CITY_LEVEL or gaz.province[n] != n]
    return tuple(cities + [n for n in names if n not in cities])


@lru_cache(maxsize=8192)  # called for every place of every fused candidate
def province_of(name: str) -> str | None:
    """The province (short name) of a city or province given in short or full form.

    Args:
        name: A place name such as ``石家庄``, ``石家庄市`` or ``广西壮族自治区``.

    Returns:
        The province's short name (a province maps to itself), or ``None`` when unknown.
    """
    gaz = _gazetteer()
    name = name.strip()
    hit = gaz.aliases.get(name)
    if hit is not None:
        return gaz.province[hit[0]]
    found = _scan(name)  # full names such as 恩施土家族苗族自治州
    if found and found[0][1] == 0:
        return gaz.province[found[0][0]]
    return None
