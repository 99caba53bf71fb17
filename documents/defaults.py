# ruff: noqa: E501  (prose: one paragraph per line keeps the texts editable)
"""Default notice texts, written for this portal from the facts in the domain brief.

Staff copy them into a campaign's own NoticeTemplate rows and edit them in the admin;
until they do, these are printed. Placeholders: see documents/placeholders.py.
"""

from .models import NoticeKind

OPEN_LETTER_TITLE = "致{{ estate.name }}全体业主（使用人）的一封信"
OPEN_LETTER_BODY = """尊敬的{{ estate.name }}各位业主、住户朋友：

您好！{{ firm.name }}为{{ estate.name }}提供物业服务以来，一直得到大家的理解、信任和支持。在此，我们向每一位业主和住户表示衷心的感谢！

我们也清楚地看到，我们的工作与大家的期望相比还有不小的差距：报修有时响应不够及时，公共区域的保洁、绿化和秩序维护还有不到位的地方，与业主的沟通也不够充分。对由此给大家带来的不便，我们深表歉意，并将逐项整改。

按照{{ campaign.issuer }}的统一部署，{{ campaign.name }}现已启动。我们将以此为契机，对照服务标准查找不足，公开服务内容和收费情况，落实首问负责、报修回访等制度，努力让小区环境更整洁、秩序更安全、邻里更和睦。

创建文明物业，离不开每一位业主的参与。欢迎您通过小区主出入口的意见箱、服务热线，或扫描下方二维码，对我们的服务提出意见和建议；也欢迎您参加小区的志愿服务和邻里活动，共同爱护公共设施，文明饲养宠物，有序停放车辆。我们真诚接受大家的监督，对您反映的每一个问题，做到件件有回音、事事有着落。

让我们携手努力，共同建设整洁、安全、和谐、文明的美好家园！"""

SERVICE_LIST_TITLE = "{{ estate.name }}物业服务内容清单"
SERVICE_LIST_BODY = """为方便业主了解和监督，现将{{ estate.name }}物业服务的主要内容公布如下：

## 一、综合管理服务
设立客户服务中心，工作时间内有专人接待业主来访、咨询和报修；建立并妥善保管业主档案及房屋、设施设备档案；按规定定期公布物业服务费用收支等财务情况，接受业主查询。

## 二、公共区域清洁卫生
配备专职保洁人员，明确公共区域保洁标准和巡查制度；生活垃圾日产日清、分类收集；定期清掏化粪池、疏通排水管道；做好文明养宠宣传，及时清理公共区域的宠物粪便。

## 三、公共区域秩序维护
配备秩序维护人员，主出入口 24 小时值守，外来人员和车辆进出登记；按规定路线和频次巡逻，发现隐患及时处置；规范机动车和非机动车停放，保持消防通道畅通。

## 四、绿化养护管理
按季节做好草坪修剪、树木修枝、浇水、施肥和病虫害防治，及时补植缺损苗木，保持绿地整洁美观。

## 五、共用设施设备日常运行和维护
对电梯、供水、供电、消防、监控、照明、道路、围墙等共用设施设备进行日常巡检、运行管理和维护保养，做好运行和维修记录；急修 30 分钟内到达现场，其他维修按约定时间完成。

以上服务内容如有调整，将另行公告。欢迎广大业主监督。"""

CAMPAIGN_NOTICE_TITLE = "{{ campaign.name }}工作任务告知书"
CAMPAIGN_NOTICE_BODY = """{% if firm.name %}{{ firm.name }}、{% endif %}{{ estate.name }}物业服务中心：

根据{{ campaign.issuer }}{% if campaign.document_number %}（{{ campaign.document_number }}）{% endif %}的部署，{{ campaign.name }}期间，{{ estate.name }}须完成下表所列工作任务。请对照任务逐项明确责任人，按期完成，并在平台上提交佐证材料，由{{ estate.district }}审核。

逾期未完成的任务将在进度通报中列出。本告知书请在小区公告栏张贴，欢迎业主监督各项工作的落实情况。"""

DEFAULTS = {
    NoticeKind.OPEN_LETTER: (OPEN_LETTER_TITLE, OPEN_LETTER_BODY),
    NoticeKind.SERVICE_LIST: (SERVICE_LIST_TITLE, SERVICE_LIST_BODY),
    NoticeKind.CAMPAIGN_NOTICE: (CAMPAIGN_NOTICE_TITLE, CAMPAIGN_NOTICE_BODY),
}
