"""Demo data: staff, products and realistic Chinese end-user reports grouped into faults.

Everything goes through the services, exactly as the console and the API would do it, so the demo
also exercises the intake rules and the lifecycle: each fault is then driven, step by step and by the
role the template names for each step, to a different point of its life, so that every state is on
show (with a P0 special team, gray and full releases, reopens, retrospectives and knowledge-base
articles). The same seed gives the same data (relative to the desk's clock); running it again reuses
the staff and products and simply adds another batch of reports and faults.
"""

from __future__ import annotations

import random
import string
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from faultdesk.domain.errors import Conflict
from faultdesk.domain.faults import Criticality, FaultStatus, Severity
from faultdesk.domain.lifecycle import (
    ActionStatus,
    Archive,
    AttachCases,
    CaseResult,
    CauseCategory,
    CloseCannotReproduce,
    CloseNotAFault,
    Command,
    Confirm,
    Grade,
    ImprovementAction,
    KbArticle,
    MarkFixReady,
    Merge,
    PlanKind,
    ProposePlan,
    RecordCause,
    RecordGrayStep,
    RecordVerification,
    Recurrence,
    ReleaseFull,
    Retrospect,
    ReviewPlan,
    Stage,
    StartAnalysis,
    TestCase,
)
from faultdesk.domain.reports import Channel, Network, ReportDraft
from faultdesk.domain.roles import Role
from faultdesk.domain.severity import Impact
from faultdesk.services.access import actor_of
from faultdesk.services.catalogue import add_product, ensure_default_fault_types
from faultdesk.services.desk import Desk
from faultdesk.services.faults import FaultRegistration, register_fault
from faultdesk.services.intake import submit_report
from faultdesk.services.lifecycle import act, improvements, set_improvement_status
from faultdesk.services.records import Actor
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


# ---- the lifecycle: where the demo leaves each fault, and the records written on the way ----------

S = FaultStatus
AGENT, PM, LEAD, DEV, TESTER = Role.AGENT, Role.PM, Role.TECH_LEAD, Role.DEVELOPER, Role.TESTER
OWNERS = {  # owners per stage, named when the tech lead grades a fault
    Stage.INTAKE: AGENT,
    Stage.ANALYSIS: PM,
    Stage.HANDLING: DEV,
    Stage.COMMUNICATION: AGENT,
    Stage.VERIFICATION: TESTER,
    Stage.ARCHIVE: PM,
}
REVIEWERS = ("pm1", "dev1", "tester1")


class Reopen(NamedTuple):
    """The first fix did not hold: a verification case failed, or the reporter still sees the problem."""

    by_reporter: bool  # True: Confirm(recovered=False) relayed by the agent; False: the first case fails
    why: str
    cause: str
    category: CauseCategory
    plan: str  # "{deadline}" is filled in
    fix: str


class Retro(NamedTuple):
    analysis: str
    actions: tuple[tuple[str, Role, int, bool], ...]  # title, owner, due in days, already done
    article: KbArticle


class Story(NamedTuple):
    """How far one registered problem gets in the demo (``target``), and what is written on the way."""

    target: FaultStatus
    impact: Impact = Impact.PARTIAL
    notes: str | None = None
    recurrence: Recurrence = Recurrence.NEW
    known_issue: str | None = None
    revenue: bool = False
    severity: Severity = Severity.P2
    grade_reason: str = ""
    cause: str = ""
    category: CauseCategory = CauseCategory.CODE_LOGIC
    kind: PlanKind = PlanKind.EMERGENCY_PATCH
    plan: str = ""  # "{deadline}" is filled in
    hours: int = 4  # the plan's deadline, from now
    rejected: tuple[str, str] | None = None  # a first plan the tech lead sent back, and his comments
    cases: tuple[tuple[str, str], ...] = ()  # title, expected result
    fix: str = ""
    reopen: Reopen | None = None
    confirmed: str = ""
    gray: tuple[tuple[int, str], ...] = ()  # P0/P1: percentage, observation
    announcement: str = ""
    retro: Retro | None = None
    archive: tuple[str, str, str, int] | None = None  # cause, solution, reporter feedback, satisfaction
    archiver: Role = AGENT
    exit: tuple[Role, Command] | None = None  # a side exit taken once at ``target``


# Keyed by the problem's title; a registered problem without a story stays "registered".
STORIES: dict[str, Story] = {
    "微信支付成功后订单仍显示“待支付”": Story(
        S.ARCHIVED,
        impact=Impact.OUTAGE,
        notes="支付监控告警：微信支付回调成功率由 99.8% 跌至 62%，已扣款未回写订单约 1500 笔",
        revenue=True,
        severity=Severity.P0,
        grade_reason="核心支付功能不可用，已扣款订单被自动取消，直接影响收入，成立专项小组",
        cause="支付回调接口同步处理库存扣减、积分发放和消息推送，平均响应 6.8 秒，超过微信 5 秒超时阈值；"
        "微信重试 3 次后放弃，订单状态未回写，又被“30 分钟未支付自动取消”任务关闭",
        category=CauseCategory.INTERFACE_TIMEOUT,
        plan="回调接口改为先落库、后异步处理，2 秒内应答微信；上线主动查单补单任务，补回近 72 小时已扣款未回写的订单；"
        "暂停超时自动取消；灰度开关可一键回滚至旧回调逻辑，重复扣款由财务原路退款。{deadline}前发布紧急补丁",
        rejected=(
            "回调接口改为先落库、后异步处理，2 秒内应答微信；上线主动查单补单任务。{deadline}前发布紧急补丁",
            "缺少回滚方案，也没有说明重复扣款用户的退款安排，请补充后再提交",
        ),
        cases=(
            ("模拟10笔不同金额支付（0.01 元至 5000 元）", "均成功，订单 3 秒内变为“待发货”"),
            ("模拟回调超时 10 秒，由查单任务补单", "1 分钟内订单变为已支付，且不重复发货"),
            ("秒杀订单支付成功后等待 31 分钟", "订单不被自动取消"),
        ),
        fix="5.2.1-hotfix1",
        reopen=Reopen(
            False,
            "5000 元大额订单回调验签失败，订单仍为“待支付”",
            "回调验签时金额被转换为浮点数，大额订单的签名串与微信侧不一致，验签失败后订单未回写",
            CauseCategory.CODE_LOGIC,
            "金额统一以“分”为单位的整数参与签名，补充大额订单验签单元测试；{deadline}前发布第二个补丁",
            "5.2.2",
        ),
        confirmed="已电话回访 5 位反馈用户：支付后订单状态正常，重复扣款已原路退回",
        gray=((5, "灰度 5%：回调成功率 99.9%，无新增投诉"), (30, "灰度 30%：查单任务补单 1487 笔，异常 0 笔")),
        announcement="【优选商城】此前部分用户微信支付后订单仍显示“待支付”的问题已修复：已扣款订单均已自动补单并正常发货，"
        "重复扣款已原路退回。请将 App 升级至 5.2.2 版本，给您带来的不便，我们深表歉意。",
        retro=Retro(
            "根因：支付回调接口在同一请求内串行处理库存、积分和消息推送，大促流量下响应超过微信 5 秒超时阈值，"
            "微信重试 3 次后放弃；系统又缺少主动查单补偿，超时自动取消任务把已扣款订单关闭。首次修复后大额订单"
            "因金额按浮点数参与验签再次失败，导致返工。暴露的问题：回调链路没有耗时告警，大促前压测未覆盖 3 倍峰值，"
            "验签缺少大额与边界金额用例。",
            (
                ("支付回调接口增加耗时告警（P99 超过 2 秒即告警）", DEV, 3, True),
                ("大促前压测清单纳入支付回调链路，覆盖 3 倍峰值流量", TESTER, 7, False),
            ),
            KbArticle(
                title="微信支付成功但订单仍显示待支付（支付回调超时）",
                symptoms="用户微信已扣款，App 订单仍显示“待支付”或提示“支付结果查询中”，约 30 分钟后订单被自动取消；"
                "部分用户因此重复支付",
                cause="支付回调接口同步处理耗时过长，超过微信 5 秒超时阈值，回调被放弃，且没有主动查单补偿",
                fix="回调改为先落库后异步处理并在 2 秒内应答；新增主动查单补单任务；金额以分为单位参与验签（5.2.2）",
                workaround="客服在商家后台“订单管理-手动查单”触发补单；重复扣款走原路退款",
                tags=("支付", "微信支付", "回调超时", "订单状态"),
            ),
        ),
        archive=(
            "支付回调接口超时，叠加大额订单验签金额精度问题",
            "回调异步化并增加主动查单补单，修复验签金额精度；5.2.2 灰度后全量发布",
            "回访用户均表示订单已正常发货，重复扣款已收到退款",
            4,
        ),
        archiver=PM,
    ),
    "忘记密码时收不到短信验证码": Story(
        S.ARCHIVED,
        notes="短信平台数据：移动号段发送成功率降至 71%，联通、电信正常",
        severity=Severity.P1,
        grade_reason="核心登录功能部分异常，约三成用户收不到验证码，无法登录下单",
        cause="短信服务商移动通道的签名报备过期，移动号段短信被运营商网关拦截；重发频控阈值过低，用户重试 5 次即被锁定至次日",
        category=CauseCategory.THIRD_PARTY,
        kind=PlanKind.WORKAROUND,
        plan="切换至备用短信通道并补报签名；重发频控由每日 5 次放宽至 10 次；{deadline}前完成配置变更",
        hours=3,
        cases=(
            ("移动、联通、电信、广电号段各获取 5 次验证码", "均在 60 秒内收到短信"),
            ("同一手机号 1 小时内连续获取 8 次验证码", "不被锁定；第 11 次提示“操作过于频繁”"),
        ),
        fix="短信网关配置 v2.3.1",
        confirmed="回访来电用户：已能正常收到验证码并登录",
        gray=((20, "备用通道承接 20% 流量，到达率 99.2%"),),
        announcement="【优选商城】部分移动用户收不到登录短信验证码的问题已修复，短信已恢复正常发送。"
        "如仍无法收到，请联系客服热线 400-800-1234。",
        retro=Retro(
            "根因：短信服务商移动通道的签名报备到期未续，运营商网关按未报备签名拦截短信；我方只监控“提交成功率”，"
            "没有监控“到达率”，问题持续约 9 小时后才由用户反馈发现；重发频控阈值过低又放大了影响。",
            (
                ("短信到达率低于 95% 时自动告警并切换备用通道", DEV, 5, False),
                ("建立短信签名与模板到期台账，到期前 30 天提醒续期", PM, 3, True),
            ),
            KbArticle(
                title="登录短信验证码收不到（短信通道签名过期）",
                symptoms="点击“获取验证码”后倒计时结束仍收不到短信，或提示“系统繁忙”；多次重试后提示“操作过于频繁”",
                cause="短信服务商通道签名报备过期，运营商网关拦截短信；重发频控阈值过低",
                fix="切换备用短信通道并补报签名，放宽重发频控，增加短信到达率监控",
                workaround="引导用户改用微信授权登录或语音验证码",
                tags=("登录", "短信验证码", "第三方服务"),
            ),
        ),
        archive=(
            "短信通道签名报备过期导致移动号段短信被拦截",
            "切换备用通道、补报签名并放宽频控，新增到达率告警",
            "用户确认已能收到验证码",
            5,
        ),
    ),
    "商品搜索结果加载缓慢": Story(
        S.FIXING,
        notes="搜索接口 P99 耗时由 0.8 秒升至 12 秒",
        severity=Severity.P1,
        grade_reason="主要功能部分异常，搜索超时直接影响下单转化",
        cause="商品索引新增“销量排序”字段后未建立排序索引，排序查询退化为全量扫描；结果页图片未走 CDN 缩略图",
        category=CauseCategory.CONFIGURATION,
        plan="为销量字段补建排序索引并预热热门搜索词缓存；结果页图片改用 CDN 缩略图；{deadline}前上线",
        hours=6,
        cases=(
            ("搜索“羽绒服”并切换“按销量排序”", "首屏结果 1 秒内返回"),
            ("4G 网络下在结果页连续下拉加载 10 页", "无超时，图片正常显示"),
        ),
    ),
    "深色模式下购物车结算栏文字看不清": Story(
        S.ARCHIVED,
        impact=Impact.COSMETIC,
        grade_reason="显示问题，不影响结算功能，可临时关闭深色模式规避",
        cause="购物车结算栏和优惠明细弹窗写死了黑色文字，未使用主题色变量，深色模式下与背景同色",
        kind=PlanKind.NEXT_ITERATION,
        plan="纳入 5.3.0 迭代：结算栏及优惠明细弹窗改用主题色变量，全面走查购物车页深色模式；{deadline}前提交测试",
        hours=48,
        cases=(
            ("iOS 深色模式下进入购物车", "合计金额和“去结算”按钮清晰可见，对比度不低于 4.5:1"),
            ("深色模式下打开优惠明细弹窗", "文字与背景对比清晰"),
        ),
        fix="5.3.0",
        confirmed="用户回复：深色模式下已能看清结算栏",
        retro=Retro(
            "根因：结算栏组件沿用旧版写死的颜色值，深色模式适配时只替换了页面背景色；UI 走查清单没有深色模式检查项，"
            "测试用例也只覆盖浅色模式。",
            (
                ("UI 走查清单增加深色模式与小屏检查项", TESTER, 4, False),
                ("代码扫描规则禁止在页面样式中写死颜色值", DEV, 6, False),
            ),
            KbArticle(
                title="深色模式下购物车结算栏文字看不清",
                symptoms="iOS 开启深色模式后，购物车底部合计金额与“去结算”按钮黑底黑字，优惠明细弹窗文字看不清",
                cause="组件写死文字颜色，未使用主题色变量，深色模式下与背景同色",
                fix="改用主题色变量并适配深色模式（5.3.0）",
                workaround="临时关闭系统深色模式，或在 App“设置-外观”中选择浅色",
                tags=("深色模式", "界面显示", "购物车"),
            ),
        ),
        archive=("结算栏写死文字颜色，未适配深色模式", "改用主题色变量，5.3.0 发布", "用户表示已正常显示", 5),
    ),
    "订单列表中缺少近一周的订单": Story(
        S.VERIFYING,
        notes="订单服务 11 月按月分表上线后开始出现",
        severity=Severity.P1,
        grade_reason="主要功能部分异常，用户无法查看近期订单和物流",
        cause="订单按月分表后，列表查询仍只读取旧表，新分表中近一周的订单没有合并返回",
        plan="订单列表查询改为跨分表合并读取并按下单时间排序；{deadline}前发布订单服务补丁",
        cases=(
            ("查看近 7 天下单的 5 个订单", "全部出现在“全部订单”中，按时间倒序"),
            ("查看“待收货”分类", "数量与实际已发货订单一致"),
        ),
        fix="order-svc 2.14.1",
    ),
    "HarmonyOS 4 上无法上传头像": Story(
        S.TRIAGING,
        recurrence=Recurrence.KNOWN_ISSUE,
        known_issue="KI-0412：HarmonyOS 4 相册选择器权限适配（见 5.2.0 版本发布说明）",
        notes="与已知问题 KI-0412 一致，待技术负责人定级",
    ),
    "消息通知中出现其他用户的订单和收货信息": Story(
        S.RELEASING,
        notes="涉及用户个人信息，已同步安全与法务团队",
        severity=Severity.P1,
        grade_reason="虽为次要功能，但泄露其他用户的收货地址和手机号，属个人信息安全问题，上调为 P1",
        cause="消息中心缓存键由“手机号后四位 + 日期”拼接，手机号后四位相同的用户会读到彼此的交易物流消息",
        plan="缓存键改为用户 ID 并清空消息中心缓存；消息接口增加归属校验；{deadline}前发布紧急补丁",
        hours=2,
        cases=(
            ("两个手机号后四位相同的账号先后查看交易物流消息", "各自只看到自己的消息"),
            ("直接请求他人的消息 ID", "返回无权访问，不泄露任何字段"),
        ),
        fix="5.2.2",
        confirmed="已回访门店反映的顾客：消息中心只显示本人订单",
        gray=((10, "灰度 10%：越权访问告警 0 次"),),
    ),
    "开启免打扰后夜间仍收到营销推送": Story(
        S.TRIAGING,
        impact=Impact.COSMETIC,
        exit=(
            PM,
            CloseNotAFault(
                "经核查，夜间推送均由手机厂商系统通道（应用商店、负一屏资讯）发出，并非本 App 推送；"
                "App 免打扰设置只对本应用推送生效。已由客服引导用户在系统通知设置中关闭相关推送"
            ),
        ),
    ),
    "小程序微信授权登录后白屏": Story(
        S.PLAN_REVIEW,
        notes="集中在微信 8.0.45 及以上版本",
        severity=Severity.P1,
        grade_reason="核心登录功能部分用户不可用",
        cause="前端重复调用 wx.login，后端用同一个 code 换取 session_key，微信返回 40029 后前端未处理异常，页面停留在白屏",
        plan="前端登录流程加锁避免重复调用 wx.login，遇到 40029 自动重新获取 code 重试一次；审核期间登录页增加"
        "“重新登录”按钮，并由客服引导用户删除小程序后重新进入；{deadline}前提交小程序审核",
        rejected=(
            "前端登录流程加锁避免重复调用 wx.login，遇到 40029 自动重新获取 code 重试一次；{deadline}前提交小程序审核",
            "未考虑小程序审核周期，请补充审核期间的临时规避措施",
        ),
    ),
    "小程序支付提示“商户订单号重复”": Story(
        S.RESOLVED,
        revenue=True,
        severity=Severity.P1,
        grade_reason="仅取消支付后重新付款的场景受影响，可引导用户重新下单，定为 P1",
        cause="取消支付后再次发起支付时复用了原商户订单号，而优惠券重新计算后金额不同，微信支付返回“201 商户订单号重复”",
        plan="金额变化时生成新的商户订单号并关闭原支付单；{deadline}前发布小程序 2.6.1",
        cases=(
            ("下单后取消支付，再次发起支付", "支付成功，不再提示“商户订单号重复”"),
            ("取消支付后更换优惠券再支付", "按新金额支付成功，原支付单已关闭"),
        ),
        fix="2.6.1",
        confirmed="来电用户确认已能正常付款",
        gray=((10, "灰度 10%：支付成功率 99.6%"), (50, "灰度 50%：无“订单号重复”报错")),
        announcement="【优选商城小程序】部分用户取消支付后再次付款提示“商户订单号重复”的问题已在 2.6.1 版本修复，"
        "请删除小程序后重新进入或等待自动更新。",
    ),
    "已领取的优惠券下单时不可用": Story(
        S.LOCATING,
        notes="“满199减30”活动期间集中出现",
        severity=Severity.P1,
        grade_reason="主要功能部分异常，影响促销活动转化",
    ),
    "低版本安卓微信中选择收货地址无反应": Story(
        S.LOCATING,
        grade_reason="仅低版本安卓系统出现，可手动填写地址规避",
        exit=(
            DEV,
            CloseCannotReproduce(
                "在 Android 6.0/8.1/9 的 vivo Y66、OPPO A5、红米 Note 8 及微信 8.0.40–8.0.47 上均无法复现，"
                "日志中也没有相关报错；已请客服引导用户升级微信后再试，如再次出现将重新登记"
            ),
        ),
    ),
    "导出的订单 Excel 金额列错位": Story(
        S.RESOLVED,
        notes="影响商家月底对账",
        grade_reason="次要功能异常，商家可在后台页面核对金额",
        cause="导出时商品名称中的英文逗号未转义，CSV 转 Excel 后列错位；金额列未设置格式，显示为科学计数法",
        category=CauseCategory.DATA,
        kind=PlanKind.NEXT_ITERATION,
        plan="导出改为直接生成 xlsx，金额列设置两位小数数值格式；随 3.8.3 发布，{deadline}前提交测试",
        hours=24,
        cases=(
            ("导出含逗号、引号商品名称的 500 条订单", "各列对齐，无串列"),
            ("导出金额为 0.01 元和 123456789.12 元的订单", "金额按两位小数显示，无科学计数法"),
        ),
        fix="3.8.3",
        confirmed="商家财务确认导出的对账单金额正确",
    ),
    "售后退款审核通过后状态未更新": Story(
        S.PLANNING,
        notes="批量发货也有类似的状态不更新反馈，疑似同一问题",
        severity=Severity.P1,
        grade_reason="核心退款流程部分异常，买家已投诉至平台",
        cause="订单中心状态同步消息队列消费积压，消费者处理失败后未重试就确认了消息，退款和发货状态更新丢失",
        category=CauseCategory.CODE_LOGIC,
    ),
    "后台登录图形验证码可以重复使用": Story(
        S.AWAITING_CONFIRMATION,
        notes="安全问题：可被用于暴力破解商家账号密码",
        severity=Severity.P1,
        grade_reason="安全漏洞，可被利用暴力破解商家后台密码",
        cause="图形验证码校验后（无论成功与否）都没有从缓存中删除，有效期内可重复使用",
        plan="验证码校验后立即失效；同一账号连续 5 次密码错误锁定 15 分钟；{deadline}前发布 3.8.2-hotfix1",
        cases=(
            ("同一图形验证码登录失败后再次提交", "提示“验证码已失效”，须重新获取"),
            ("同一账号连续输错密码 5 次", "账号锁定 15 分钟并短信通知商家"),
        ),
        fix="3.8.2-hotfix1",
    ),
    "Edge 浏览器下商品详情编辑器工具栏错位": Story(
        S.ARCHIVED,
        impact=Impact.COSMETIC,
        notes="仅 Edge 浏览器或屏幕宽度不超过 1366px 时出现",
        grade_reason="仅影响部分浏览器和小屏下的排版，可改用 Chrome 规避",
        cause="富文本编辑器工具栏按 1440px 设计稿固定宽度布局，小屏（1366px 及以下）时按钮溢出；Edge 默认 125% 缩放加剧错位",
        kind=PlanKind.NEXT_ITERATION,
        plan="工具栏改为自适应换行布局，放不下的按钮收进“更多”菜单；随 3.8.3 发布，{deadline}前提交测试",
        hours=48,
        cases=(
            ("Edge 120、1366×768 分辨率下编辑商品详情", "工具栏完整显示，“插入图片”按钮可点击"),
            ("Chrome 与 Edge 在 125%、150% 缩放下编辑商品详情", "工具栏按钮无重叠、无错位"),
        ),
        fix="3.8.3",
        reopen=Reopen(
            True,
            "商家反馈：浏览器缩放 150% 时“插入表格”按钮仍被遮挡",
            "“更多”菜单的折叠宽度按 CSS 像素计算，未考虑浏览器缩放比例",
            CauseCategory.CODE_LOGIC,
            "按工具栏实际可用宽度计算折叠位置，补充缩放场景用例；随 3.8.4 发布，{deadline}前提交测试",
            "3.8.4",
        ),
        confirmed="商家确认 Edge 与小屏笔记本上编辑器显示正常",
        retro=Retro(
            "根因：编辑器工具栏按 1440px 设计稿固定宽度开发，兼容性测试只在 1920×1080 的 Chrome 上进行，"
            "没有覆盖小屏笔记本和 Edge 默认缩放；首次修复又遗漏了 150% 缩放场景，导致返工。",
            (("兼容性测试矩阵增加 1366×768 分辨率与 125%/150% 缩放", TESTER, 5, True),),
            KbArticle(
                title="小屏或 Edge 浏览器下商品编辑器工具栏错位",
                symptoms="在 Edge 或 1366px 以下屏幕编辑商品详情时，编辑器工具栏挤成一团、按钮重叠，“插入图片”按钮点不到",
                cause="工具栏按固定宽度布局，未适配小屏与浏览器缩放",
                fix="工具栏改为自适应布局并按实际可用宽度折叠（3.8.4）",
                workaround="改用 Chrome，或把浏览器缩放调回 100%",
                tags=("排版错位", "浏览器兼容", "商品管理"),
            ),
        ),
        archive=(
            "编辑器工具栏固定宽度布局，未适配小屏和浏览器缩放",
            "自适应布局并按可用宽度折叠，3.8.4 发布",
            "商家表示编辑器已恢复正常",
            4,
        ),
    ),
    "批量发货后部分订单仍显示待发货": Story(
        S.TRIAGING,
        notes="与“售后退款审核通过后状态未更新”现象相同，均为订单状态未回写",
        exit=(AGENT, Merge(into="售后退款审核通过后状态未更新")),  # a title here; its number at run time
    ),
}


def load_demo(desk: Desk, *, seed: int = 7) -> str:
    """Load the demo data; returns a one-line summary. Safe to run again (adds another batch)."""
    rng = random.Random(seed)
    system = Actor.system()
    ensure_default_fault_types(desk)
    staff, new_staff = _staff(desk, system)
    agent = staff[Role.AGENT]
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

    taken_in = 0
    numbers: dict[str, str] = {}  # problem title -> the fault number it got in this batch
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
        numbers[problem.title] = register_fault(desk, registration, actor=agent).fault.number
        taken_in += len(new_reports)

    states = Counter(_drive(desk, numbers, title, staff) for title in numbers)
    waiting = sum(len(ids[i]) for i, p in enumerate(PROBLEMS) if not p.type_code)
    logins = ", ".join(username for username, _, _ in STAFF)
    return (
        f"demo: {len(STAFF)} staff ({new_staff} new), {len(PRODUCTS)} products ({new_products} new), "
        f"{len(batch) + taken_in} reports, {len(numbers)} faults, {waiting} reports waiting at intake; "
        f"states: {', '.join(f'{s.value} {states[s]}' for s in FaultStatus if states[s])}; "
        f"log in as {logins} with password {DEMO_PASSWORD}"
    )


Step = tuple[Role, Command]


def _drive(desk: Desk, numbers: dict[str, str], title: str, staff: dict[Role, Actor]) -> FaultStatus:
    """Take a fault, role by role, to its story's target (and side exit); returns where it ends."""
    story = STORIES.get(title)
    if story is None:
        return FaultStatus.REGISTERED
    number, status = numbers[title], FaultStatus.REGISTERED
    if story.target is not FaultStatus.REGISTERED:
        for reached, steps in _life(story, staff, desk.clock.now(), ZoneInfo(desk.timezone)):
            for role, command in steps:
                status = act(desk, number, command, actor=staff[role]).status
            assert status is reached, f"demo fault {number} reached {status.value}, not {reached.value}"
            if reached is story.target:
                break
    assert status is story.target, f"demo fault {number} stopped at {status.value}, not {story.target.value}"
    if story.exit:
        role, command = story.exit
        if isinstance(command, Merge):  # the story names the surviving fault by its title
            command = Merge(into=numbers[command.into])
        status = act(desk, number, command, actor=staff[role]).status
    if story.retro:  # some improvement actions are already done, each closed by its owner
        done = {name: owner for name, owner, _, finished in story.retro.actions if finished}
        for item in improvements(desk, number=number, actor=staff[Role.PM]):
            if item.title in done:
                set_improvement_status(desk, item.id, ActionStatus.DONE, actor=staff[done[item.title]])
    return status


def _life(
    story: Story, staff: dict[Role, Actor], now: datetime, tz: ZoneInfo
) -> Iterator[tuple[FaultStatus, list[Step]]]:
    """The steps of a whole life, phase by phase, each with the state it leads to; the caller stops early."""
    uid = {role: _id(actor) for role, actor in staff.items()}
    s, p0 = story, story.severity is Severity.P0
    author = DEV if s.severity is Severity.P2 else PM  # who writes the plan (the template's rule)
    deadline = now + timedelta(hours=s.hours)
    when = deadline.astimezone(tz)

    def plan(text: str) -> Step:
        return author, ProposePlan(s.kind, text.format(deadline=f"{when.month}月{when.day}日 {when:%H:%M}"), deadline)

    approve: Step = (LEAD, ReviewPlan(True, "方案可行，同意实施", REVIEWERS))
    cases = tuple(TestCase(f"TC{i}", title, expected) for i, (title, expected) in enumerate(s.cases, 1))
    passed: Step = (TESTER, RecordVerification(tuple(CaseResult(c.key, True) for c in cases)))

    yield S.TRIAGING, [(PM, StartAnalysis(s.recurrence, s.impact, s.revenue, known_issue=s.known_issue, notes=s.notes))]
    owners = {stage: uid[role] for stage, role in OWNERS.items()}
    team = (uid[DEV], uid[TESTER], uid[PM]) if p0 else ()
    grade = Grade(s.severity, s.grade_reason, owners=owners, team_lead=uid[LEAD] if p0 else None, team_members=team)
    yield S.LOCATING, [(LEAD, grade)]
    yield S.PLANNING, [(DEV, RecordCause(s.cause, s.category))]
    sent_back = [plan(s.rejected[0]), (LEAD, ReviewPlan(False, s.rejected[1], REVIEWERS))] if s.rejected else []
    yield S.PLAN_REVIEW, [*sent_back, plan(s.plan)]
    yield S.FIXING, [approve, (TESTER, AttachCases(cases))]
    yield S.VERIFYING, [(DEV, MarkFixReady(s.fix))]

    r, redo = s.reopen, []
    if r:  # back to locating: a new cause, a new plan, a new fix
        redo = [(DEV, RecordCause(r.cause, r.category)), plan(r.plan), approve, (DEV, MarkFixReady(r.fix))]
    if r and not r.by_reporter:
        results = tuple(CaseResult(c.key, i > 0, r.why if i == 0 else None) for i, c in enumerate(cases))
        yield S.AWAITING_CONFIRMATION, [(TESTER, RecordVerification(results)), *redo, passed]
    else:
        yield S.AWAITING_CONFIRMATION, [passed]
    still = [(AGENT, Confirm(False, r.why)), *redo, passed] if r and r.by_reporter else []
    recovered: Step = (AGENT, Confirm(True, s.confirmed))
    if s.severity is Severity.P2:
        yield S.RESOLVED, [*still, recovered]
    else:  # P0/P1 ship through gray steps and a full release with an announcement
        gray: list[Step] = [(PM, RecordGrayStep(pct, now, note)) for pct, note in s.gray]
        yield S.RELEASING, [*still, recovered, *gray]
        yield S.RESOLVED, [(PM, ReleaseFull(r.fix if r else s.fix, s.announcement))]

    retro: list[Step] = []
    if s.retro:
        day = now.astimezone(tz).date()
        actions = tuple(ImprovementAction(t, uid[owner], day + timedelta(days=n)) for t, owner, n, _ in s.retro.actions)
        retro = [(PM, Retrospect(s.retro.analysis, actions, s.retro.article))]
    assert s.archive is not None, "an archived demo fault needs its archive record"
    yield S.ARCHIVED, [*retro, (s.archiver, Archive(*s.archive))]


def _id(actor: Actor) -> int:
    assert actor.id is not None, f"demo user {actor.label} has no id"
    return actor.id


def _staff(desk: Desk, system: Actor) -> tuple[dict[Role, Actor], int]:
    """Create one user per role (or reuse them); returns them by role, and how many are new."""
    created = 0
    staff: dict[Role, Actor] = {}
    for username, role, display_name in STAFF:
        try:
            user = create_user(desk, username, role, DEMO_PASSWORD, actor=system, display_name=display_name)
            created += 1
        except Conflict:
            with desk.uow() as uow:  # loaded before: a read through the repository, no change
                found = uow.users.by_username(username)
            assert found is not None, f"the demo user {username} vanished"
            user = found
        staff[role] = actor_of(user)
    return staff, created


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
