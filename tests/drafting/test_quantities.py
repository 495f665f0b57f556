"""``cnplans.drafting.quantities``: the figures a passage states, read in base units with their
bounds.

Every sentence here was written for these tests.
"""

from __future__ import annotations

import pytest

from cnplans.drafting.quantities import Quantity, find_quantities, relative_years

# (passage, text of the quantity, value, value_max, unit, qualifier, strive)
Case = tuple[str, str, float, float | None, str, str, bool]


def quantities(passage: str) -> list[Quantity]:
    """find_quantities, checking what must hold for every answer: offsets, order, no overlap."""
    found = find_quantities(passage)
    previous_end = 0
    for quantity in found:
        assert passage[quantity.start : quantity.end] == quantity.text
        assert quantity.start >= previous_end, "quantities overlap or are out of order"
        assert quantity.start < quantity.end
        assert quantity.unit in {"CNY", "USD", "percent", "count", "year"}
        assert quantity.qualifier in {"exactly", "about", "at_least", "more_than", "up_to", "range"}
        assert (quantity.value_max is not None) == (quantity.qualifier == "range")
        previous_end = quantity.end
    return found


def check(case: Case) -> None:
    passage, text, value, value_max, unit, qualifier, strive = case
    matching = [q for q in quantities(passage) if q.text == text]
    assert len(matching) == 1, [q.text for q in quantities(passage)]
    quantity = matching[0]
    assert quantity.value == pytest.approx(value)
    if value_max is None:
        assert quantity.value_max is None
    else:
        assert quantity.value_max == pytest.approx(value_max)
    assert (quantity.unit, quantity.qualifier, quantity.strive) == (unit, qualifier, strive)
    assert text in passage


def count(passage: str, text: str, value: float) -> Case:
    return (passage, text, value, None, "count", "exactly", False)


def rng(passage: str, text: str, low: float, high: float, unit: str = "count") -> Case:
    return (passage, text, low, high, unit, "range", False)


def pct(passage: str, text: str, value: float) -> Case:
    return (passage, text, value, None, "percent", "exactly", False)


def money(passage: str, text: str, value: float, unit: str) -> Case:
    return (passage, text, value, None, unit, "exactly", False)


def qual(passage: str, text: str, value: float, qualifier: str, unit: str = "count") -> Case:
    return (passage, text, value, None, unit, qualifier, False)


def year(passage: str, text: str, value: float, high: float | None = None) -> Case:
    return (passage, text, value, high, "year", "range" if high else "exactly", False)


def cny(passage: str, text: str, value: float, qualifier: str = "exactly") -> Case:
    return (passage, text, value, None, "CNY", qualifier, False)


# ---------------------------------------------------------------------------------------------
# English numbers

NUMBER_WORDS = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
]


@pytest.mark.parametrize(("value", "word"), list(enumerate(NUMBER_WORDS, start=1)))
def test_number_words_one_to_twenty(value: int, word: str) -> None:
    check(count(f"The district will open {word} new clinics next spring.", word, value))


@pytest.mark.parametrize(
    ("word", "value"),
    [
        ("thirty", 30),
        ("forty", 40),
        ("fifty", 50),
        ("sixty", 60),
        ("seventy", 70),
        ("eighty", 80),
        ("ninety", 90),
    ],
)
def test_number_words_tens(word: str, value: int) -> None:
    check(count(f"The province certified {word} laboratories.", word, value))


@pytest.mark.parametrize(
    "case",
    [
        count("Twenty-five pilot schools joined the scheme.", "Twenty-five", 25),
        count("The port added ninety-nine berths.", "ninety-nine", 99),
        count("They trained forty two inspectors.", "forty two", 42),
        count("The fund backs a hundred start-ups.", "a hundred", 100),
        count("The fund backs one hundred start-ups.", "one hundred", 100),
        count("The fund backs hundred start-ups.", "hundred", 100),
        count("It plans two hundred and fifty charging piles.", "two hundred and fifty", 250),
        count("Three thousand households were connected.", "Three thousand", 3000),
        count("A thousand volunteers signed up.", "A thousand", 1000),
        count("It hired two thousand five hundred nurses.", "two thousand five hundred", 2500),
        count("A dozen incubators opened downtown.", "A dozen", 12),
        count("Fifteen key measures were announced.", "Fifteen", 15),
        count("It will build three major innovation hubs.", "three", 3),
    ],
    ids=lambda case: case[1],
)
def test_number_word_combinations(case: Case) -> None:
    check(case)


@pytest.mark.parametrize(
    "case",
    [
        count("The zone hosts 1,500 enterprises.", "1,500", 1500),
        count("The county lists 12,345,678 seedlings.", "12,345,678", 12345678),
        count("Wetlands cover 2,500.5 hectares.", "2,500.5", 2500.5),
        count("The index stood at 84.8 points.", "84.8", 84.8),
        count("Farmers planted 0.75 hectares each.", "0.75", 0.75),
        count("The county has 150 billion seedlings.", "150 billion", 1.5e11),
        count("The network will reach 3 thousand villages.", "3 thousand", 3000),
        count("It serves 20 million people.", "20 million", 2e7),
        count("Two million trees were planted.", "Two million", 2e6),
        count("The atlas lists 1.2 trillion cells.", "1.2 trillion", 1.2e12),
        cny("Funds of 150 billion yuan.", "150 billion yuan", 1.5e11),
        cny("Output of 1.2 trillion yuan.", "1.2 trillion yuan", 1.2e12),
        cny("It lends 20 million yuan.", "20 million yuan", 2e7),
        cny("An outlay of 5 hundred million yuan.", "5 hundred million yuan", 5e8),
        cny("A grant of two billion yuan.", "two billion yuan", 2e9),
        cny("A grant of a billion yuan.", "a billion yuan", 1e9),
        money("A 3.5 bn dollars loan.", "3.5 bn dollars", 3.5e9, "USD"),
    ],
    ids=lambda case: case[1],
)
def test_separators_decimals_and_scales(case: Case) -> None:
    check(case)


# ---------------------------------------------------------------------------------------------
# Ranges, percentages and currencies in English


@pytest.mark.parametrize(
    "case",
    [
        rng("Each town will set up one or two service stations.", "one or two", 1, 2),
        rng("The city plans three to four new industrial parks.", "three to four", 3, 4),
        rng("Every campus gets two to three labs.", "two to three", 2, 3),
        rng("The route needs six to eight depots.", "six to eight", 6, 8),
        rng("Each county trains 3 to 5 teams.", "3 to 5", 3, 5),
        rng("Each county trains 2 to 3 teams.", "2 to 3", 2, 3),
        rng("Each line adds 6-8 stations.", "6-8", 6, 8),
        rng("Each line adds 6–8 stations.", "6–8", 6, 8),
        rng("Each line adds 6 - 8 stations.", "6 - 8", 6, 8),
        rng("Each district hires between 3 and 5 wardens.", "between 3 and 5", 3, 5),
        rng("A fund of 2 to 3 billion yuan.", "2 to 3 billion yuan", 2e9, 3e9, "CNY"),
        rng("Costs fall by 10-15 percent.", "10-15 percent", 10, 15, "percent"),
        rng("Costs fall by 5%-10%.", "5%-10%", 5, 10, "percent"),
        rng("Costs fall by between 3 and 5 percent.", "between 3 and 5 percent", 3, 5, "percent"),
        rng("A $2-3 billion programme.", "$2-3 billion", 2e9, 3e9, "USD"),
        rng("It costs between $2 and $3 billion.", "between $2 and $3 billion", 2e9, 3e9, "USD"),
        rng("It costs 1,000 to 2,000 yuan each.", "1,000 to 2,000 yuan", 1000, 2000, "CNY"),
    ],
    ids=lambda case: case[1],
)
def test_english_ranges(case: Case) -> None:
    check(case)


def test_from_to_is_a_change_not_a_range() -> None:
    found = quantities("Revenue grows from 100 billion yuan to 150 billion yuan.")
    assert [(q.text, q.value, q.unit) for q in found] == [
        ("100 billion yuan", 1e11, "CNY"),
        ("150 billion yuan", 1.5e11, "CNY"),
    ]


@pytest.mark.parametrize(
    "case",
    [
        pct("Green power makes up 15% of supply.", "15%", 15),
        pct("Green power makes up 15 % of supply.", "15 %", 15),
        pct("Green power makes up 15 percent of supply.", "15 percent", 15),
        pct("Green power makes up 15 per cent of supply.", "15 per cent", 15),
        pct("The share rises 2 percentage points.", "2 percentage points", 2),
        pct("The share rises 0.5 percentage point.", "0.5 percentage point", 0.5),
        pct("Green power makes up twelve percent.", "twelve percent", 12),
    ],
    ids=lambda case: case[1],
)
def test_english_percentages(case: Case) -> None:
    check(case)


@pytest.mark.parametrize(
    "case",
    [
        money("Sales hit $21.43 billion.", "$21.43 billion", 2.143e10, "USD"),
        money("A US$5 million grant.", "US$5 million", 5e6, "USD"),
        money("A US $5 million grant.", "US $5 million", 5e6, "USD"),
        money("A USD 30 million loan.", "USD 30 million", 3e7, "USD"),
        money("A loan of 40 million dollars.", "40 million dollars", 4e7, "USD"),
        money("A loan of 50 million US dollars.", "50 million US dollars", 5e7, "USD"),
        money("A loan of 60 USD.", "60 USD", 60, "USD"),
        money("A fund of RMB 5 billion.", "RMB 5 billion", 5e9, "CNY"),
        money("A fund of RMB5 billion.", "RMB5 billion", 5e9, "CNY"),
        money("A fund of 5 billion RMB.", "5 billion RMB", 5e9, "CNY"),
        money("A fund of CNY 8 billion.", "CNY 8 billion", 8e9, "CNY"),
        money("A fund of ¥10 million.", "¥10 million", 1e7, "CNY"),
        money("Tickets cost 12 yuan.", "12 yuan", 12, "CNY"),
    ],
    ids=lambda case: case[1],
)
def test_english_currencies(case: Case) -> None:
    check(case)


def test_yuan_with_dollars_in_brackets_is_two_quantities() -> None:
    found = quantities("The park raised 5 billion yuan ($0.7 billion) last spring.")
    assert [(q.text, q.unit) for q in found] == [("5 billion yuan", "CNY"), ("$0.7 billion", "USD")]
    assert found[0].value == pytest.approx(5e9)
    assert found[1].value == pytest.approx(7e8)


def test_foreign_dollars_are_not_us_dollars() -> None:
    found = quantities("The bond raised HK$5 million and 6 million Singapore dollars.")
    assert all(q.unit == "count" for q in found)


# ---------------------------------------------------------------------------------------------
# English qualifiers and striving


@pytest.mark.parametrize(
    "case",
    [
        qual("Yields rose about 15 percent.", "about 15 percent", 15, "about", "percent"),
        qual("The plant employs around 300 people.", "around 300", 300, "about"),
        qual("The plant employs approximately 310 people.", "approximately 310", 310, "about"),
        qual("The plant employs roughly 320 people.", "roughly 320", 320, "about"),
        qual("The plant employs nearly 330 people.", "nearly 330", 330, "about"),
        qual("The plant employs almost 340 people.", "almost 340", 340, "about"),
        qual("The plant employs some 350 people.", "some 350", 350, "about"),
        qual("The plant employs 360 or so people.", "360 or so", 360, "about"),
        qual("The plant employs over 400 people.", "over 400", 400, "more_than"),
        qual(
            "Sales will be more than 230 billion yuan.",
            "more than 230 billion yuan",
            2.3e11,
            "more_than",
            "CNY",
        ),
        qual(
            "Sales are topping 5 billion yuan.", "topping 5 billion yuan", 5e9, "more_than", "CNY"
        ),
        qual("Sales will top 6 billion yuan.", "top 6 billion yuan", 6e9, "more_than", "CNY"),
        qual("Sales will exceed 7 billion yuan.", "exceed 7 billion yuan", 7e9, "more_than", "CNY"),
        qual("Sales exceeding 8 percent.", "exceeding 8 percent", 8, "more_than", "percent"),
        qual("The tally exceeds 410 firms.", "exceeds 410", 410, "more_than"),
        qual("Pay rose above 9 percent.", "above 9 percent", 9, "more_than", "percent"),
        qual("Growth goes beyond 10 percent.", "beyond 10 percent", 10, "more_than", "percent"),
        qual("Sales break through 420 units.", "break through 420", 420, "more_than"),
        qual("Sales breaking through 430 units.", "breaking through 430", 430, "more_than"),
        qual("The park hosts at least 440 firms.", "at least 440", 440, "at_least"),
        qual("The park hosts no less than 450 firms.", "no less than 450", 450, "at_least"),
        qual("The park hosts not less than 460 firms.", "not less than 460", 460, "at_least"),
        qual("The park hosts 470 or more firms.", "470 or more", 470, "at_least"),
        qual(
            "Grants of 20 million yuan or more.", "20 million yuan or more", 2e7, "at_least", "CNY"
        ),
        qual("Scores of 80 or above pass.", "80 or above", 80, "at_least"),
        qual("Output will reach or exceed 490 units.", "reach or exceed 490", 490, "at_least"),
        qual(
            "Output will reach or break through 500 units.",
            "reach or break through 500",
            500,
            "at_least",
        ),
        qual("Each grant is up to 510 yuan.", "up to 510 yuan", 510, "up_to", "CNY"),
        qual("Each class has no more than 40 pupils.", "no more than 40", 40, "up_to"),
        qual("Each class has not more than 41 pupils.", "not more than 41", 41, "up_to"),
        qual("Each class has at most 42 pupils.", "at most 42", 42, "up_to"),
        qual("Losses stay less than 3 percent.", "less than 3 percent", 3, "up_to", "percent"),
        qual("The city aims to build 43 parks.", "43", 43, "exactly"),
        qual("Output is expected to reach 44 units.", "44", 44, "exactly"),
        qual("Output will reach 45 units.", "45", 45, "exactly"),
    ],
    ids=lambda case: case[1],
)
def test_english_qualifiers(case: Case) -> None:
    check(case)


def test_top_as_a_ranking_is_not_a_qualifier() -> None:
    found = quantities("The city wants five of the top 100 firms in the country.")
    assert [(q.text, q.qualifier) for q in found] == [("five", "exactly"), ("100", "exactly")]


@pytest.mark.parametrize(
    "case",
    [
        (
            "The city will strive to reach or break through 200 billion yuan.",
            "reach or break through 200 billion yuan",
            2e11,
            None,
            "CNY",
            "at_least",
            True,
        ),
        (
            "The city will strive to reach 200 billion yuan.",
            "200 billion yuan",
            2e11,
            None,
            "CNY",
            "exactly",
            True,
        ),
        (
            "Striving to exceed 30 percent, the county acts.",
            "exceed 30 percent",
            30,
            None,
            "percent",
            "more_than",
            True,
        ),
        (
            "The town strives for three to five new parks.",
            "three to five",
            3,
            5,
            "count",
            "range",
            True,
        ),
        ("全市产业规模力争突破1000亿元。", "突破1000亿元", 1e11, None, "CNY", "more_than", True),
        ("争取培育500家企业。", "500家", 500, None, "count", "exactly", True),
        (
            "力争到2027年，全市集成电路产业规模突破1.2万亿元。",
            "突破1.2万亿元",
            1.2e12,
            None,
            "CNY",
            "more_than",
            True,
        ),
        (
            "到2027年，全市集成电路产业规模力争突破1.2万亿元。",
            "突破1.2万亿元",
            1.2e12,
            None,
            "CNY",
            "more_than",
            True,
        ),
        (
            "They strive for quality, and 30 firms will join.",
            "30",
            30,
            None,
            "count",
            "exactly",
            False,
        ),
        ("全市力争提质增效，新增企业30家。", "30家", 30, None, "count", "exactly", False),
    ],
    ids=lambda case: case[0][:30],
)
def test_strive(case: Case) -> None:
    check(case)


# ---------------------------------------------------------------------------------------------
# Years


@pytest.mark.parametrize(
    "case",
    [
        year("The corridor opens by 2025.", "2025", 2025),
        year("In 2020 the corridor opened.", "2020", 2020),
        year("Work ends by the end of 2027.", "2027", 2027),
        year("Issued on November 22, 2024 in the capital.", "2024", 2024),
        year("Issued 2022-04-25 by the bureau.", "2022-04-25", 2022),
        year("Issued 2022/04/25 by the bureau.", "2022/04/25", 2022),
        year("The action plan (2025-2027) sets goals.", "2025-2027", 2025, 2027),
        year("The plan covers 2025 to 2027.", "2025 to 2027", 2025, 2027),
        year("The plan covers 2025—2027.", "2025—2027", 2025, 2027),
        year("The plan covers 2025–2027.", "2025–2027", 2025, 2027),
        year("The plan covers 2025-27.", "2025-27", 2025, 2027),
        year("The plan runs from 2021 to 2025.", "2021 to 2025", 2021, 2025),
        year("到2025年，产业链更加完善。", "2025年", 2025),
        year("2025年全面建成。", "2025年", 2025),
        year("2025年底前全面建成。", "2025年", 2025),
        year("到2025年末全面建成。", "2025年", 2025),
        year("二〇二五年全面建成。", "二〇二五年", 2025),
        year("行动方案（2025—2027年）", "2025—2027年", 2025, 2027),
        year("行动方案(2025-2027年)", "2025-2027年", 2025, 2027),
        year("2025-2027年重点任务", "2025-2027年", 2025, 2027),
        year("2025年至2027年重点任务", "2025年至2027年", 2025, 2027),
        year("２０２５年全面建成。", "２０２５年", 2025),
    ],
    ids=lambda case: case[1],
)
def test_years(case: Case) -> None:
    check(case)


@pytest.mark.parametrize(
    "case",
    [
        count("Staff grew to 2,025 people.", "2,025", 2025),
        cny("A grant of 1900 yuan.", "1900 yuan", 1900),
        cny("Loans of 2000 million yuan.", "2000 million yuan", 2e9),
        cny("投资2000万元。", "2000万元", 2e7),
        count("引进企业2000家。", "2000家", 2000),
        count("年产2000吨。", "2000", 2000),
        pct("A rise of 2010 percent.", "2010 percent", 2010),
    ],
    ids=lambda case: case[1],
)
def test_four_digit_numbers_with_a_unit_are_not_years(case: Case) -> None:
    check(case)


def test_month_and_day_are_not_counts() -> None:
    assert [q.text for q in quantities("Issued on November 22, 2024.")] == ["2024"]
    assert [q.text for q in quantities("2022年4月25日印发。")] == ["2022年"]
    assert [q.text for q in quantities("3月11日召开会议。")] == []
    assert [q.text for q in quantities("The board met on Nov 12 and 3 March.")] == []


# ---------------------------------------------------------------------------------------------
# Chinese


@pytest.mark.parametrize(
    "case",
    [
        count("出台十五项措施。", "十五项", 15),
        count("建设二十个示范点。", "二十个", 20),
        count("引进一百五十家企业。", "一百五十家", 150),
        count("培训三千人。", "三千人", 3000),
        count("建设两个中心。", "两个", 2),
        count("新建一千零五座基站。", "一千零五座", 1005),
        count("改造十条道路。", "十条", 10),
        count("引进伍家企业。", "伍家", 5),
        count("打造十大产业。", "十", 10),
        count("出台五年规划。", "五年", 5),
        cny("投入三千万元。", "三千万元", 3e7),
        cny("总投资1.2万亿元。", "1.2万亿元", 1.2e12),
        count("规模达3.5万亿。", "3.5万亿", 3.5e12),
        cny("营收1500亿元。", "1500亿元", 1.5e11),
        cny("补助2000万元。", "2000万元", 2e7),
        cny("奖励300元。", "300元", 300),
        cny("奖励 300 元。", "300 元", 300),
        cny("投资一百五十亿元。", "一百五十亿元", 1.5e10),
        ("吸引外资5亿美元。", "5亿美元", 5e8, None, "USD", "exactly", False),
        ("打造百亿级产业集群。", "百亿级", 1e10, None, "count", "at_least", False),
        ("打造千亿级产业基地。", "千亿级", 1e11, None, "count", "at_least", False),
        cny("打造百亿元级企业。", "百亿元级", 1e10, "at_least"),
        pct("占比达到15%。", "15%", 15),
        pct("占比达到15％。", "15％", 15),
        pct("比重提高2个百分点。", "2个百分点", 2),
        pct("占比百分之十五。", "百分之十五", 15),
        count("认定10家企业。", "10家", 10),
        count("实施10项工程。", "10项", 10),
        count("建成10座电站。", "10座", 10),
        count("开通10条线路。", "10条", 10),
        count("建成３个园区。", "３个", 3),
    ],
    ids=lambda case: case[1],
)
def test_chinese_numbers_and_units(case: Case) -> None:
    check(case)


@pytest.mark.parametrize(
    "case",
    [
        rng("每区建设3至5个站点。", "3至5个", 3, 5),
        rng("每区建设3-5个站点。", "3-5个", 3, 5),
        rng("每区建设2—3个站点。", "2—3个", 2, 3),
        rng("每区建设1~2个站点。", "1~2个", 1, 2),
        rng("每区建设1～2个站点。", "1～2个", 1, 2),
        rng("每区建设三到五个站点。", "三到五个", 3, 5),
        rng("每区建设三到五。", "三到五", 3, 5),
        rng("每区建设3到5个站点。", "3到5个", 3, 5),
        rng("每区建设三四个站点。", "三四个", 3, 4),
        rng("投资1000亿至1500亿元。", "1000亿至1500亿元", 1e11, 1.5e11, "CNY"),
        rng("投资3-5亿元。", "3-5亿元", 3e8, 5e8, "CNY"),
        rng("能耗下降10%-15%。", "10%-15%", 10, 15, "percent"),
    ],
    ids=lambda case: case[1],
)
def test_chinese_ranges(case: Case) -> None:
    check(case)


@pytest.mark.parametrize(
    "case",
    [
        cny("投资约200亿元。", "约200亿元", 2e10, "about"),
        qual("企业近300家。", "近300家", 300, "about"),
        cny("投资大约50亿元。", "大约50亿元", 5e9, "about"),
        qual("能耗下降15%左右。", "15%左右", 15, "about", "percent"),
        cny("投资超过400亿元。", "超过400亿元", 4e10, "more_than"),
        cny("产值突破1000亿元。", "突破1000亿元", 1e11, "more_than"),
        qual("企业超500家。", "超500家", 500, "more_than"),
        qual("培育50多家龙头企业。", "50多家", 50, "more_than"),
        cny("投资100多亿元。", "100多亿元", 1e10, "more_than"),
        qual("引进100余家企业。", "100余家", 100, "more_than"),
        qual("新增不少于20个项目。", "不少于20个", 20, "at_least"),
        qual("占比不低于30%。", "不低于30%", 30, "at_least", "percent"),
        qual("研发投入占比3%以上。", "3%以上", 3, "at_least", "percent"),
        cny("新增2000万元以上项目。", "2000万元以上", 2e7, "at_least"),
        qual("增速控制在5%以内。", "5%以内", 5, "up_to", "percent"),
        qual("误差在2%以下。", "2%以下", 2, "up_to", "percent"),
        qual("新增不超过10家。", "不超过10家", 10, "up_to"),
        cny("营收达到1500亿元。", "1500亿元", 1.5e11, "exactly"),
        qual("实现营收增长8%。", "8%", 8, "exactly", "percent"),
    ],
    ids=lambda case: case[1],
)
def test_chinese_qualifiers(case: Case) -> None:
    check(case)


# ---------------------------------------------------------------------------------------------
# What is not a quantity


@pytest.mark.parametrize(
    "passage",
    [
        "The third-generation platform is ready.",
        "A new 3D printing centre opens.",
        "Data follow the G.5A release.",
        "Phase II of the project, chapter IV, annex XII.",
        "The 14th Five-Year Plan and the 5G network.",
        "COVID-19 measures and PM2.5 monitoring.",
        "A five-year plan, a 3-year roadmap and one-stop services.",
        "One of the firms said no one knew.",
        "The 1990s saw version 4.0.1 at 10:30 for 1/3 of firms.",
        "1. Overview",
        "(1) Build the base; (2) expand it.",
        "第三批试点，第3个园区。",
        "（一）总体要求\n一、发展目标\n2、主要任务",
        "推进一体化，进一步建设统一大市场，打造一流企业和一批项目。",
        "“十四五”时期，十四五规划。",
        "数十家企业，十几个项目，三级医院，千家万户，一条龙服务。",
        "4月25日印发，March 11 meeting.",
        "占比达到百分之",
        "百分之",
    ],
)
def test_not_quantities(passage: str) -> None:
    assert quantities(passage) == []


# ---------------------------------------------------------------------------------------------
# Several quantities, positions, long passages


def test_several_quantities_in_order() -> None:
    passage = (
        "By 2025, the city will cultivate three to four parks, attract more than 230 billion "
        "yuan ($32 billion) and raise the digital share to about 15 percent; 到2027年，力争突破"
        "1.2万亿元，培育50多家企业。"
    )
    found = quantities(passage)
    assert [q.text for q in found] == [
        "2025",
        "three to four",
        "more than 230 billion yuan",
        "$32 billion",
        "about 15 percent",
        "2027年",
        "突破1.2万亿元",
        "50多家",
    ]
    assert [q.unit for q in found] == [
        "year",
        "count",
        "CNY",
        "USD",
        "percent",
        "year",
        "CNY",
        "count",
    ]
    # 力争 governs its own clause only: not the year before it, not the clause after it
    assert [q.strive for q in found] == [False] * 6 + [True, False]
    assert [q.start for q in found] == sorted(q.start for q in found)


def test_offsets_are_into_the_passage_as_given() -> None:
    passage = "\u3000\u3000全市ＧＤＰ突破１．２万亿元，增长８％。"
    found = quantities(passage)
    assert [q.text for q in found] == ["突破１．２万亿元", "８％"]
    assert found[0].start == passage.index("突破")
    assert found[1].end == passage.index("。")
    assert found[0].value == pytest.approx(1.2e12)
    assert found[1].value == pytest.approx(8)


def test_long_passage_parses_every_sentence() -> None:
    sentence = (
        "到2027年，全市产业规模力争突破1.2万亿元，培育50多家企业。"
        "The city will build three to four parks and attract more than 230 billion yuan.\n"
    )
    repeats = 200_000 // len(sentence) + 1
    passage = sentence * repeats
    assert len(passage) >= 200_000
    found = find_quantities(passage)
    assert len(found) == 5 * repeats
    assert found[-1].text == "more than 230 billion yuan"
    assert found[-1].start == len(passage) - len(sentence) + sentence.index("more than")


def test_pathological_inputs_finish() -> None:
    for passage in ["1" * 50_000, "亿" * 50_000, "one " * 20_000, "1-" * 20_000, "一" * 50_000]:
        find_quantities(passage)


# ---------------------------------------------------------------------------------------------
# relative_years


@pytest.mark.parametrize(
    "passage",
    [
        "The new district is centered around four research parks.",
        "Growth will be centred around 4 research parks.",
        "The work will bring about four research parks.",
    ],
)
def test_around_and_about_as_prepositions_are_not_qualifiers(passage: str) -> None:
    assert [(q.value, q.qualifier) for q in quantities(passage)] == [(4.0, "exactly")]


@pytest.mark.parametrize(
    ("passage", "phrase"),
    [
        ("Sales rose 5 percent this year.", "this year"),
        ("Targets for the current year were met.", "the current year"),
        ("The park opens within the year.", "within the year"),
        ("The park opens next year.", "next year"),
        ("The park opened last year.", "last year"),
        ("今年新增企业10家。", "今年"),
        ("今年内完成改造。", "今年内"),
        ("本年新增企业10家。", "本年"),
        ("本年度新增企业10家。", "本年度"),
        ("当年完成投资。", "当年"),
        ("力争年内开工。", "年内"),
        ("明年全面投产。", "明年"),
        ("去年营收增长。", "去年"),
        ("比上年增长8%。", "上年"),
        ("The forum opens on Nov 12 downtown.", "Nov 12"),
        ("The forum opens March 11 downtown.", "March 11"),
        ("The forum opens on 12 March downtown.", "12 March"),
        ("会议于3月11日召开。", "3月11日"),
        ("会议于今年3月11日召开。", "3月11日"),
        ("会议于三月十一日召开。", "三月十一日"),
    ],
)
def test_relative_years(passage: str, phrase: str) -> None:
    spans = relative_years(passage)
    assert phrase in [passage[start:end] for start, end in spans]
    assert spans == sorted(spans)


@pytest.mark.parametrize(
    "passage",
    [
        "The forum opens on March 11, 2024 downtown.",
        "The forum opens on 12 March 2024 downtown.",
        "会议于2022年3月11日召开。",
        "2025年内完成，十年内建成，3年内见效。",
        "单位成本年均下降，5万元以上年收入。",
        "The index may 5 times rise; the year ahead.",
    ],
)
def test_not_relative_years(passage: str) -> None:
    assert relative_years(passage) == []


# ---------------------------------------------------------------------------------------------
# describe()


@pytest.mark.parametrize(
    ("passage", "words"),
    [
        ("Sales of more than 230 billion yuan.", "more than 230 billion yuan"),
        ("Yields rose about 15 percent.", "about 15 percent"),
        ("It builds three to four parks.", "3 to 4"),
        ("Sales hit $21.43 billion.", "$21.43 billion"),
        ("It opens by 2025.", "2025"),
        ("The plan (2025-2027).", "2025 to 2027"),
        ("总投资1.2万亿元。", "1.2 trillion yuan"),
        ("Grants of 20 million yuan or more.", "at least 20 million yuan"),
        ("Classes of up to 40 pupils.", "up to 40"),
        ("The zone hosts 1,500 firms.", "1,500"),
        ("A fund of 2 to 3 billion yuan.", "2 to 3 billion yuan"),
        ("Costs fall by 10-15 percent.", "10 to 15 percent"),
        ("A $2-3 billion programme.", "$2 to $3 billion"),
        ("The index stood at 84.8.", "84.8"),
    ],
)
def test_describe(passage: str, words: str) -> None:
    (quantity,) = quantities(passage)
    assert quantity.describe() == words


def test_describe_of_a_constructed_quantity() -> None:
    quantity = Quantity(5e8, 1e9, "CNY", "range", False, 0, 1, "x")
    assert quantity.describe() == "500 million to 1 billion yuan"


@pytest.mark.parametrize(
    ("passage", "words"),
    [
        ("一万万", []),  # a 万 where none can stand: no numeral
        ("百万千万元", []),
        ("三千万元", ["30 million yuan"]),
        ("3 mıllion yuan", ["3"]),  # a dotless ı: no English scale word
        ("3 bİllion", ["3"]),
        ("Build 3 thouſand parks", ["3"]),
        ("a mıllion yuan", []),
        ("3 million yuan", ["3 million yuan"]),
    ],
)
def test_malformed_numerals_and_scale_words_are_no_quantity(passage: str, words: list[str]) -> None:
    """Text that looks like a numeral or a scale word but is none is read as what it is (these
    raised KeyError, so a quote holding them stopped the number rules)."""
    assert [q.describe() for q in find_quantities(passage)] == words
