"""Gazetteer: region detection, ordering, full forms, false positives, provinces."""

from __future__ import annotations

import pytest

from qa.text.regions import find_regions, province_of

PROVINCES = (
    "北京 天津 上海 重庆 河北 山西 内蒙古 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 "
    "湖北 湖南 广东 广西 海南 四川 贵州 云南 西藏 陕西 甘肃 青海 宁夏 新疆 台湾 香港 澳门"
).split()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("山东德州社保基数15500每个月扣多少", ("德州", "山东")),
        ("河北石家庄手机上怎么更换医保参保地", ("石家庄", "河北")),
        ("医保网上缴费怎么操作?(以浙江杭州为例)", ("杭州", "浙江")),
        ("泰州医保到上海就医报销多少", ("泰州", "上海")),
        ("2025年河南鹤壁出现腋下疼痛去哪家医院好", ("鹤壁", "河南")),
        ("浙江省的杭州市和合肥市,还有杭州", ("杭州", "合肥", "浙江")),
        ("广西壮族自治区南宁市", ("南宁", "广西")),
        ("内蒙古自治区呼和浩特市", ("呼和浩特", "内蒙古")),
        ("七台河医保转移后,个人账户里的钱会跟着转移吗", ("七台河",)),
        ("本溪大病医疗保险报销比例是多少", ("本溪",)),
        ("张家界旅游和张家口医保", ("张家界", "张家口")),
        ("大兴安岭地区", ("大兴安岭",)),
        ("海南藏族自治州和海南省", ("海南州", "海南")),
        ("陕西安康的医保", ("安康", "陕西")),
        ("安康市和日照市", ("安康", "日照")),
        ("山东日照", ("日照", "山东")),
    ],
)
def test_find_regions(text: str, expected: tuple[str, ...]) -> None:
    assert find_regions(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # Plain sentences from the corpus.
        "在医保定点医院就医时,通过医保窗口或药店终端设备刷脸认证完成激活。",
        "社保缴费满15年,医保通常还需要继续缴纳。",
        "携带本人身份证、户口簿等材料,前往当地社保大厅提交申请表、身份证明、健康证明及缴费证明。",
        "线上办理:一般即时生效或1-3个工作日内完成。",
        "医保卡丢失后,应尽快前往当地医保经办机构或指定的银行网点进行补办。",
        "缴费时需仔细核对缴费人身份证件号码、姓名、参保险种、缴费金额等关键信息。",
        "医疗保险卡所属银行网点(如卡面标注为“中国银行”,需前往中国银行柜台)。",
        # Everyday words that contain a place name.
        "两种方案大同小异,祝您身体安康,一路平安顺利。",
        "药品开封后请冷藏,不一定西药更好,住院每天津贴50元。",
        "早餐吃三明治,长治久安,四平八稳,使用复合肥。",
        "参保定点医院变成都市医院,朝阳产业,日照充足,白银价格,欢迎来宾。",
        "",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert find_regions(text) == ()


@pytest.mark.parametrize(
    ("name", "province"),
    [
        ("德州", "山东"),
        ("廊坊", "河北"),
        ("合肥", "安徽"),
        ("汕头", "广东"),
        ("南宁", "广西"),
        ("深圳", "广东"),
        ("郑州", "河南"),
        ("四平", "吉林"),
        ("七台河", "黑龙江"),
        ("兰州", "甘肃"),
        ("东莞", "广东"),
        ("西宁", "青海"),
        ("西安", "陕西"),
        ("晋城", "山西"),
        ("仙桃", "湖北"),
        ("石家庄", "河北"),
        ("石家庄市", "河北"),
        ("杭州", "浙江"),
        ("广州", "广东"),
        ("德阳", "四川"),
        ("黄石", "湖北"),
        ("本溪", "辽宁"),
        ("鹤壁", "河南"),
        ("泰州", "江苏"),
        ("张家口", "河北"),
        ("扬州", "江苏"),
        ("阜新", "辽宁"),
        ("吉林市", "吉林"),
        ("恩施土家族苗族自治州", "湖北"),
        ("广西壮族自治区", "广西"),
        ("上海市", "上海"),
        ("天津", "天津"),
        ("拉萨", "西藏"),
        ("乌鲁木齐", "新疆"),
    ],
)
def test_province_of(name: str, province: str) -> None:
    assert province_of(name) == province


def test_province_of_unknown() -> None:
    assert province_of("医保") is None
    assert province_of("纽约") is None
    assert province_of("") is None


def test_all_provincial_divisions() -> None:
    assert len(PROVINCES) == 34
    for name in PROVINCES:
        assert province_of(name) == name
        assert find_regions(f"{name}的医保") == (name,)
