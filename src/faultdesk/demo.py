"""Demo data: staff, products and realistic Chinese end-user reports grouped into faults.

Everything goes through the services, exactly as the console and the API would do it, so the demo
also exercises the intake rules. The same seed gives the same data (relative to the desk's clock);
running it again reuses the staff and products and simply adds another batch of reports and faults.
"""

from __future__ import annotations

import random
import string
from datetime import datetime, timedelta
from typing import NamedTuple

from faultdesk.domain.errors import Conflict
from faultdesk.domain.faults import Criticality
from faultdesk.domain.reports import Channel, Network
from faultdesk.domain.roles import Role
from faultdesk.services.access import actor_of
from faultdesk.services.catalogue import add_product, ensure_default_fault_types
from faultdesk.services.desk import Desk
from faultdesk.services.faults import FaultRegistration, register_fault
from faultdesk.services.intake import ReportDraft, submit_report
from faultdesk.services.records import Actor, UserRecord
from faultdesk.services.staff import create_user

DEMO_PASSWORD = "faultdesk-demo"
CLIENT = "demo"

STAFF: tuple[tuple[str, Role, str], ...] = (
    ("agent1", Role.AGENT, "王芳 (客服)"),
    ("pm1", Role.PM, "李娜 (产品经理)"),
    ("lead1", Role.TECH_LEAD, "张伟 (技术负责人)"),
    ("dev1", Role.DEVELOPER, "刘洋 (研发工程师)"),
    ("tester1", Role.TESTER, "陈静 (测试工程师)"),
    ("admin1", Role.ADMIN, "赵磊 (管理员)"),
)
AGENT = "agent1"

CORE, MAIN, MINOR = Criticality.CORE, Criticality.MAIN, Criticality.MINOR
PRODUCTS: tuple[tuple[str, str, tuple[tuple[str, str, Criticality], ...]], ...] = (
    (
        "shop",
        "优选商城 App",
        (
            ("login", "登录", CORE),
            ("payment", "支付", CORE),
            ("cart", "购物车", MAIN),
            ("search", "商品搜索", MAIN),
            ("orders", "订单列表", MAIN),
            ("profile", "个人资料", MINOR),
            ("notify", "消息通知", MINOR),
        ),
    ),
    (
        "mini",
        "优选商城微信小程序",
        (
            ("login", "微信授权登录", CORE),
            ("payment", "小程序支付", CORE),
            ("coupon", "领券中心", MAIN),
            ("address", "收货地址", MAIN),
            ("share", "分享好友", MINOR),
        ),
    ),
    (
        "admin-web",
        "商家管理后台",
        (
            ("login", "后台登录", CORE),
            ("orders", "订单管理", CORE),
            ("refund", "售后退款", CORE),
            ("goods", "商品管理", MAIN),
            ("report", "数据报表", MAIN),
            ("export", "数据导出", MINOR),
        ),
    ),
)

# (device model, OS version, browser — only for computers)
Device = tuple[str, str, str | None]
_IOS: tuple[Device, ...] = (
    ("iPhone 13", "iOS 16.4", None),
    ("iPhone 15 Pro", "iOS 17.2", None),
    ("iPhone 14 Plus", "iOS 17.1", None),
    ("iPhone 12", "iOS 15.7", None),
    ("iPhone SE (第三代)", "iOS 16.6", None),
)
_HARMONY: tuple[Device, ...] = (
    ("华为 Mate 60", "HarmonyOS 4.0", None),
    ("华为 P50", "HarmonyOS 4.0", None),
    ("华为 nova 11", "HarmonyOS 4.0", None),
)
_ANDROID: tuple[Device, ...] = (
    ("小米 14", "Android 14", None),
    ("Redmi K60", "Android 13", None),
    ("OPPO Reno10", "Android 13 (ColorOS 13.1)", None),
    ("vivo X100", "Android 14 (OriginOS 4)", None),
    ("荣耀 90", "Android 13 (MagicOS 7.2)", None),
    ("三星 Galaxy S23", "Android 14", None),
)
DEVICES: dict[str, tuple[Device, ...]] = {
    "phone": _IOS + _HARMONY + _ANDROID,
    "ios": _IOS,
    "harmony": _HARMONY,
    "android_old": (
        ("红米 Note 8", "Android 9", None),
        ("OPPO A5", "Android 8.1", None),
        ("vivo Y66", "Android 6.0", None),
    ),
    "pc": (
        ("联想 ThinkPad E14", "Windows 11 23H2", "Chrome 120.0"),
        ("戴尔 OptiPlex 7090", "Windows 10 22H2", "Chrome 119.0"),
        ("MacBook Air M2", "macOS 14.2", "Safari 17.2"),
        ("华为 MateBook 14", "Windows 11 23H2", "Chrome 120.0"),
        ("惠普 战66", "Windows 10 22H2", "360安全浏览器 14.0"),
    ),
    "pc_edge": (
        ("联想 扬天 M4000", "Windows 10 22H2", "Edge 119.0"),
        ("戴尔 Latitude 5420", "Windows 11 22H2", "Edge 120.0"),
    ),
}
VERSIONS: dict[str, tuple[str, ...]] = {
    "shop": ("5.2.1", "5.2.1", "5.2.0", "5.1.8"),
    "mini": ("2.6.0", "2.5.3"),
    "admin-web": ("3.8.2",),
}
HOME_CHANNEL = {"shop": Channel.APP, "mini": Channel.MINI_PROGRAM, "admin-web": Channel.WEB}
NOTES: dict[Channel, tuple[str, ...]] = {
    Channel.APP: (
        "已经重启过手机，问题依旧",
        "卸载重装后还是一样",
        "换了网络也不行",
        "昨天更新版本后开始出现",
        "家里人的手机也有同样情况",
        "急用，麻烦尽快处理",
    ),
    Channel.WEB: ("同事的电脑上也能复现", "换了浏览器无痕模式也一样", "影响今天的发货和对账，请尽快处理"),
    Channel.HOTLINE: (
        "热线来电记录，客户情绪较急",
        "热线来电，客户要求回电说明处理进度",
        "热线来电，已安抚并告知会尽快处理",
    ),
    Channel.OFFLINE: ("门店店员代为记录", "线下活动现场反馈", "客户到服务网点当面反映"),
}
NOTES[Channel.MINI_PROGRAM] = NOTES[Channel.APP]
EMAIL_NAMES = ("zhangwei", "wangfang", "li.na", "liuyang", "chenjing", "yangmin", "huanglei", "zhouxin", "wu.jie")
AREA_CODES = ("010", "021", "020", "0755", "0571", "028")


class Problem(NamedTuple):
    """One real-world problem and the reports users sent about it; type_code None = left at intake."""

    type_code: str | None
    product: str | None
    function: str | None
    title: str
    devices: str
    scenarios: tuple[str, ...]
    symptoms: tuple[str, ...]  # one report each, in the users' own words
    taken_in: tuple[tuple[Channel, str], ...] = ()  # taken by phone / in person while registering
    estimate: tuple[int, str] | None = None


CALL, VISIT = Channel.HOTLINE, Channel.OFFLINE
PROBLEMS: tuple[Problem, ...] = (
    Problem("01", "shop", "payment", "微信支付成功后订单仍显示“待支付”", "phone",
            ("用户在购物车结算后选择微信支付，输入密码完成付款", "用户在订单详情页点击‘去支付’，跳转微信支付后返回App",
             "用户参加限时秒杀活动，提交订单后使用微信支付"),
            ("微信已经扣款，但订单还显示待支付，过一会儿订单被自动取消了",
             "付款时一直转圈，最后提示‘支付结果查询中’，钱已经扣了",
             "微信支付后订单仍显示未支付，我又付了一次，被扣了两次钱",
             "支付成功返回App后页面白屏，订单状态还是‘待付款’",
             "扣了 299 元，订单列表里还是未支付",
             "支付完成后跳回来提示‘支付失败，请重试’，但微信账单显示已支付",
             "点了确认支付没反应，退出再进去发现已经扣款，订单状态没变",
             "秒杀商品付款成功后订单被取消了，钱没有退回"),
            ((CALL, "来电反映：微信付款成功但订单显示未支付，要求尽快发货或退款"),
             (VISIT, "门店顾客反映：App 下单已付款，店员系统里查不到已支付订单")),
            (1500, "支付渠道对账：约 1500 笔已扣款订单状态未回写")),
    Problem("01", "shop", "login", "忘记密码时收不到短信验证码", "phone",
            ("用户在登录页面点击‘忘记密码’后提交手机号", "用户换新手机后使用短信验证码登录",
             "用户退出登录后重新用手机号+验证码登录"),
            ("提示‘系统繁忙’，无法收到验证码",
             "点了获取验证码，倒计时走完也没收到短信",
             "验证码一直收不到，换了张移动卡也不行",
             "提示‘验证码已发送’，但手机上根本没有短信，垃圾短信拦截里也没有",
             "好不容易收到验证码，填进去提示‘验证码错误’，试了三次账号被锁了",
             "重发了五六次都收不到，现在提示‘操作过于频繁，请明天再试’"),
            ((CALL, "来电用户称连续两天收不到登录验证码，无法登录下单"),)),
    Problem("02", "shop", "search", "商品搜索结果加载缓慢", "phone",
            ("用户在首页搜索框输入‘羽绒服’后点击搜索", "用户在搜索结果页切换‘按销量排序’",
             "用户在分类页下拉加载更多商品"),
            ("搜索要转十几秒才出结果",
             "切换排序后一直显示加载中，要等很久",
             "搜索结果页滑动特别卡，图片半天出不来",
             "流量下搜索经常超时，提示‘网络不给力’",
             "搜东西比以前慢很多，有时候直接白屏")),
    Problem("03", "shop", "cart", "深色模式下购物车结算栏文字看不清", "ios",
            ("用户开启系统深色模式后进入购物车", "用户夜间在购物车勾选商品准备结算"),
            ("结算按钮和合计金额是黑底黑字，完全看不见",
             "深色模式下购物车里商品价格显示不出来",
             "购物车底部一片黑，找不到去结算的按钮",
             "优惠明细弹窗文字和背景同色，看不清减了多少钱")),
    Problem("04", "shop", "orders", "订单列表中缺少近一周的订单", "phone",
            ("用户在‘我的-全部订单’查看最近的购买记录", "用户收到发货短信后到订单列表查看物流"),
            ("上周买的两单在订单列表里找不到了",
             "全部订单里只显示到上个月，最近的订单都没有",
             "收到了发货短信，但订单列表里没有这个订单",
             "待收货里显示 0 单，实际上有三个包裹在路上")),
    Problem("05", "shop", "profile", "HarmonyOS 4 上无法上传头像", "harmony",
            ("用户在‘个人资料’页点击头像，选择从相册上传", "用户在个人资料页选择拍照更换头像"),
            ("选完照片点确定后 App 直接闪退",
             "相册打开后一片空白，选不了图片",
             "拍完照片返回后头像没变化，也没有任何提示")),
    Problem("06", "shop", "notify", "消息通知中出现其他用户的订单和收货信息", "phone",
            ("用户打开 App 查看‘消息-交易物流’通知",),
            ("消息里出现了不是我的订单，还能看到别人的收货地址和手机号",
             "物流通知显示的收件人不是我，点进去能看到对方的订单详情"),
            ((VISIT, "顾客到门店当面反映：App 消息中心能看到陌生人的收货信息，要求说明个人信息是否泄露"),)),
    Problem("99", "shop", "notify", "开启免打扰后夜间仍收到营销推送", "phone",
            ("用户在‘设置-消息通知’开启夜间免打扰（22:00-08:00）",),
            ("凌晨一点多还在推送优惠活动，被吵醒了",
             "已经设置了免打扰，晚上还是一条接一条地推送")),
    Problem("01", "mini", "login", "小程序微信授权登录后白屏", "phone",
            ("用户从微信聊天中打开商城小程序，点击‘微信一键登录’", "用户在小程序‘我的’页面授权手机号登录"),
            ("授权之后页面一直白屏，什么都没有",
             "点完允许就卡在加载中，退出重进还是一样",
             "登录后白屏，要删掉小程序重新进才行",
             "授权手机号后提示‘登录失败 errcode 40029’",
             "一键登录没反应，点了好几次都不行")),
    Problem("01", "mini", "payment", "小程序支付提示“商户订单号重复”", "phone",
            ("用户在小程序提交订单后点击‘立即支付’", "用户取消支付后在订单页重新发起支付"),
            ("点支付弹出‘商户订单号重复’，付不了款",
             "第一次支付取消了，再点支付就一直报错",
             "提示‘201 商户订单号重复’，换了银行卡也不行",
             "付款按钮点了没反应，过一会儿提示支付失败"),
            ((CALL, "来电用户反映小程序里付不了款，提示订单号重复，已尝试多次"),)),
    Problem("04", "mini", "coupon", "已领取的优惠券下单时不可用", "phone",
            ("用户在领券中心领取‘满199减30’优惠券后下单", "用户领取新人礼包中的无门槛券后结算"),
            ("领了满199减30的券，下单时显示‘暂无可用优惠券’",
             "券包里明明有券，结算的时候选不了",
             "新人券领完就不见了，我的券包里没有",
             "明明满足条件，却提示‘该券不适用于当前商品’",
             "用券下单后取消了订单，券没有退回来")),
    Problem("05", "mini", "address", "低版本安卓微信中选择收货地址无反应", "android_old",
            ("用户在确认订单页点击‘选择收货地址’", "用户在‘我的-收货地址’中点击‘导入微信地址’"),
            ("点选择地址没有任何反应",
             "导入微信地址一直转圈，最后闪退回微信",
             "地址列表打不开，只能手动填写，但手动填写又保存不了")),
    Problem("03", "mini", "share", "分享给好友的商品卡片图片显示空白", "phone",
            ("用户在商品详情页点击‘分享给好友’发送到微信群",),
            ("分享出去的卡片只有标题，图片是灰色空白",
             "朋友说收到的链接图片加载不出来，看着像骗子链接")),
    Problem("02", "admin-web", "report", "数据报表按月查询加载超时", "pc",
            ("商家在后台‘数据报表-销售概览’选择近 30 天", "商家在报表页切换到‘按商品维度’统计"),
            ("选近30天后转了一分钟，提示‘请求超时’",
             "报表页面一直显示加载中，浏览器提示页面无响应",
             "按商品维度统计要等两三分钟才出来",
             "大促之后数据报表完全打不开")),
    Problem("04", "admin-web", "export", "导出的订单 Excel 金额列错位", "pc",
            ("商家在‘订单管理’筛选上月订单后点击‘导出 Excel’", "财务人员导出对账单用于月底对账"),
            ("导出的表格从第二百多行开始金额和运费串列了",
             "Excel 里实付金额和商品名称错位，没法对账",
             "导出后部分订单金额变成了科学计数法，小数也没了")),
    Problem("01", "admin-web", "refund", "售后退款审核通过后状态未更新", "pc",
            ("商家客服在‘售后退款’列表中点击‘同意退款’", "商家批量审核仅退款申请"),
            ("点了同意退款提示成功，刷新后还是‘待处理’",
             "批量审核 20 单，只有一半变成了已退款",
             "买家说没收到退款，后台显示已同意，但退款状态一直是处理中",
             "同一单点了两次同意，担心会重复退款"),
            ((VISIT, "商家在线下培训会上反映：同意退款后状态不变，买家已投诉到平台"),)),
    Problem("06", "admin-web", "login", "后台登录图形验证码可以重复使用", "pc",
            ("商家安全负责人在后台登录页检查登录流程",),
            ("同一个图形验证码登录失败后还能继续用，可以无限次尝试密码",)),
    Problem("05", "admin-web", "goods", "Edge 浏览器下商品详情编辑器工具栏错位", "pc_edge",
            ("商家在‘商品管理-编辑商品’中编辑图文详情",),
            ("编辑器工具栏挤成一团，插入图片的按钮点不到",
             "用 Edge 打开编辑页面排版全乱了，Chrome 是好的")),
    Problem("01", "admin-web", "orders", "批量发货后部分订单仍显示待发货", "pc",
            ("商家在‘订单管理’上传物流单号 Excel 批量发货", "商家勾选多个订单后点击‘批量发货’"),
            ("导入 100 条物流单号，提示成功，但有 30 多单还是待发货",
             "批量发货后有些订单的物流单号是空的",
             "买家投诉一直没发货，实际上已经批量发了")),
    # Not registered yet: these wait at intake for an agent.
    Problem(None, "shop", "cart", "", "phone", ("用户在商品详情页点击‘加入购物车’",),
            ("加了三件商品，购物车图标上还是显示 0", "购物车数量要把 App 关掉重进才会更新")),
    Problem(None, "shop", "orders", "", "phone", ("用户在订单详情页查看物流轨迹",),
            ("订单详情里的物流信息三天没更新了",)),
    Problem(None, None, None, "", "phone", ("用户更新 App 后从桌面图标启动",),
            ("App 打开就闪退，连首页都看不到", "更新到新版本后一打开就闪退")),
    Problem(None, "admin-web", "goods", "", "pc", ("商家在‘商品管理’发布新品并上传主图",),
            ("上传商品主图提示‘文件过大’，图片只有 800KB", "主图上传到 99% 就失败了")),
    Problem(None, "mini", "share", "", "phone", ("用户把活动页分享给微信好友",),
            ("分享给好友后，对方打开提示‘页面不存在’",)),
    Problem(None, "mini", "coupon", "", "phone", ("用户在小程序直播间观看带货直播",),
            ("直播间弹出的优惠券点‘领取’没有反应",)),
    Problem(None, "shop", "profile", "", "phone", ("用户在个人资料页修改昵称",),
            ("修改昵称保存成功后又变回原来的了",)),
)  # fmt: skip


def load_demo(desk: Desk, *, seed: int = 7) -> str:
    """Load the demo data; returns a one-line summary. Safe to run again (adds another batch)."""
    rng = random.Random(seed)
    system = Actor.system()
    ensure_default_fault_types(desk)
    agent, new_staff = _staff(desk, system)
    new_products = 0
    for code, name, functions in PRODUCTS:
        try:
            add_product(desk, code, name, list(functions), actor=system)
            new_products += 1
        except Conflict:
            pass  # loaded before: keep it

    now = desk.clock.now().replace(microsecond=0)
    batch: list[tuple[datetime, int, ReportDraft]] = []
    for index, problem in enumerate(PROBLEMS):
        if problem.type_code:  # a problem users have been reporting for a while
            start, spread, latest = now - timedelta(hours=rng.uniform(24, 240)), 30.0, now - timedelta(minutes=20)
        else:  # fresh reports nobody has looked at yet
            start, spread, latest = now - timedelta(hours=rng.uniform(4, 28)), 3.0, now - timedelta(minutes=5)
        previous: tuple[str | None, str | None] | None = None
        for symptom in problem.symptoms:
            received = min(start + timedelta(hours=rng.uniform(0, spread)), latest).replace(microsecond=0)
            roll = rng.random()
            channel = (
                CALL if roll < 0.12 else VISIT if roll < 0.18 else HOME_CHANNEL.get(problem.product or "", Channel.APP)
            )
            if previous and rng.random() < 0.1:
                who = previous  # the same user writing in again
            else:
                who = previous = _reporter(rng, channel, problem.product)
            batch.append((received, index, _draft(rng, problem, channel, symptom, received, who)))

    ids: dict[int, list[int]] = {}
    for _, index, draft in sorted(batch, key=lambda item: (item[0], item[1])):
        actor = agent if draft.channel in (CALL, VISIT) else Actor.public()
        submitted = submit_report(desk, draft, actor=actor, client=CLIENT)
        ids.setdefault(index, []).append(submitted.report.id)

    faults = taken_in = 0
    for index, problem in enumerate(PROBLEMS):
        if not problem.type_code:
            continue
        new_reports = []
        for channel, symptom in problem.taken_in:
            received = now - timedelta(minutes=rng.randint(10, 180))
            who = _reporter(rng, channel, problem.product)
            new_reports.append(_draft(rng, problem, channel, symptom, received, who))
        estimated, source = problem.estimate or (None, None)
        registration = FaultRegistration(
            type_code=problem.type_code,
            report_ids=ids[index],
            new_reports=new_reports,
            title=problem.title,
            product=problem.product,
            function=problem.function,
            estimated_users=estimated,
            estimate_source=source,
        )
        register_fault(desk, registration, actor=agent)
        faults += 1
        taken_in += len(new_reports)

    waiting = sum(len(ids[i]) for i, p in enumerate(PROBLEMS) if not p.type_code)
    logins = ", ".join(username for username, _, _ in STAFF)
    return (
        f"demo: {len(STAFF)} staff ({new_staff} new), {len(PRODUCTS)} products ({new_products} new), "
        f"{len(batch) + taken_in} reports, {faults} faults, {waiting} reports waiting at intake; "
        f"log in as {logins} with password {DEMO_PASSWORD}"
    )


def _staff(desk: Desk, system: Actor) -> tuple[Actor, int]:
    """Create one user per role (or reuse them); returns the agent who registers the faults."""
    created = 0
    agent: UserRecord | None = None
    for username, role, display_name in STAFF:
        try:
            user: UserRecord | None = create_user(
                desk, username, role, DEMO_PASSWORD, actor=system, display_name=display_name
            )
            created += 1
        except Conflict:
            with desk.uow() as uow:  # loaded before: a read through the repository, no change
                user = uow.users.by_username(username)
        if username == AGENT:
            agent = user
    assert agent is not None, "the demo agent vanished"
    return actor_of(agent), created


def _reporter(rng: random.Random, channel: Channel, product: str | None) -> tuple[str | None, str | None]:
    """A reporter id as the channel knows it, and a (fake) contact, either of which may be missing."""
    if channel is Channel.MINI_PROGRAM:
        reporter: str | None = "o" + "".join(rng.choices(string.ascii_letters + string.digits + "_-", k=27))
    elif channel is Channel.WEB or (product == "admin-web" and rng.random() < 0.8):
        reporter = f"M{rng.randint(100000, 999999)}"  # merchant account
    elif channel is Channel.APP or rng.random() < 0.6:
        reporter = f"U{rng.randint(10_000_000, 99_999_999)}"  # member id, if the caller knows it
    else:
        reporter = None
    roll = rng.random()
    mobile = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
    email = f"{rng.choice(EMAIL_NAMES)}{rng.randint(1, 999)}@example.com"
    landline = f"{rng.choice(AREA_CODES)}-{rng.randint(20_000_000, 89_999_999)}"
    if channel is Channel.WEB or product == "admin-web":
        contact: str | None = email if roll < 0.5 else mobile if roll < 0.8 else landline
    elif channel in (CALL, VISIT):
        contact = mobile if roll < 0.8 else landline
    else:
        contact = mobile if roll < 0.7 else email if roll < 0.85 else None
    return reporter, contact


def _draft(
    rng: random.Random,
    problem: Problem,
    channel: Channel,
    symptom: str,
    received: datetime,
    who: tuple[str | None, str | None],
) -> ReportDraft:
    model, os_version, browser = rng.choice(DEVICES[problem.devices])
    version: str | None = browser or rng.choice(VERSIONS[problem.product or "shop"])
    if channel is Channel.MINI_PROGRAM:
        version = f"{version} (微信 8.0.{rng.randint(40, 47)})"
    if channel is Channel.WEB:
        network: Network | None = rng.choice((Network.WIRED, Network.WIRED, Network.WIFI))
    elif channel in (Channel.APP, Channel.MINI_PROGRAM):
        network = rng.choice((Network.WIFI, Network.WIFI, Network.CELLULAR_5G, Network.CELLULAR_4G))
    else:
        network = None  # nobody asks on the phone
    known_device = channel is not CALL or rng.random() < 0.5
    occurred = None if rng.random() < 0.1 else received - timedelta(minutes=rng.randint(1, 240))
    note = rng.choice(NOTES[channel]) if channel in (CALL, VISIT) or rng.random() < 0.4 else None
    return ReportDraft(
        channel=channel,
        symptom=symptom,
        received_at=received,
        occurred_at=occurred,
        scenario=rng.choice(problem.scenarios),
        device_model=model if known_device else None,
        os_version=os_version if known_device else None,
        app_version=version if known_device and channel is not CALL else None,
        network=network,
        reporter_id=who[0],
        contact=who[1],
        description=note,
        product=problem.product,
        function=problem.function,
    )
