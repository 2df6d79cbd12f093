//! Mapping files (docs/mapping.md) for the seven department files of the demo.

pub(crate) const POLICE_HOUSEHOLD: &str = r#"# 公安 常住人口登记表（户籍人口）— 护苗县演示数据
name = "公安常住人口登记表"
department = "police"
record_kind = "household_member"
encoding = "auto"

[fields.household_no]
column = "户号"

[fields.name]
column = "姓名"

[fields.citizen_id]
column = "公民身份号码"

[fields.sex]
column = "性别"
values = { "男" = "male", "女" = "female" }

[fields.birth_date]
column = "出生日期"
format = "%Y%m%d"

[fields.relation_to_head]
column = "与户主关系"

[fields.hukou_region]
column = "户籍地区划代码"

[fields.hukou_address]
column = "户籍地址"

[fields.residence_grid]
column = "现居住网格"

[fields.residence_address]
column = "现住址"

# 人户分离人员的居住登记日期；户籍地居住者此列为空。
[fields.residence_since]
column = "居住登记日期"
format = "%Y%m%d"

[fields.father_name]
column = "父亲姓名"

[fields.father_citizen_id]
column = "父亲公民身份号码"

[fields.mother_name]
column = "母亲姓名"

[fields.mother_citizen_id]
column = "母亲公民身份号码"

[fields.guardian_name]
column = "监护人姓名"

[fields.guardian_citizen_id]
column = "监护人公民身份号码"

[fields.status]
column = "人员状态"
values = { "正常" = "normal", "死亡" = "dead", "失踪" = "missing" }
default = "normal"

[fields.status_date]
column = "状态变更日期"
format = "%Y%m%d"

[fields.outflow_reason]
column = "外出原因"
values = { "务工" = "work", "求学" = "study", "其他" = "other" }

[fields.outflow_since]
column = "外出日期"
format = "%Y%m%d"

[fields.outflow_destination]
column = "外出去向"
"#;

pub(crate) const EDUCATION_ENROLMENT: &str = r#"# 教育 中小学生学籍花名册 — 护苗县演示数据
# 第1行为表格标题，第2行为列名。出生日期多为Excel日期单元格，部分学校填写为“2012.03.05”文本。
name = "教育局中小学生学籍花名册"
department = "education"
record_kind = "student_enrolment"
sheet = "学籍花名册"
header_row = 2

[fields.student_no]
column = "学籍号"

[fields.name]
column = "学生姓名"

[fields.citizen_id]
column = "身份证件号"

[fields.sex]
column = "性别"
values = { "男" = "male", "女" = "female" }

[fields.birth_date]
column = "出生日期"
formats = ["%Y.%m.%d", "%Y-%m-%d", "%Y/%m/%d"]

[fields.school]
column = "学校名称"

[fields.grade]
column = "年级"

[fields.guardian_name]
column = "监护人姓名"

[fields.guardian_phone]
column = "联系电话"

[fields.address]
column = "家庭住址"
"#;

pub(crate) const CIVIL_AFFAIRS_PAYMENTS: &str = r#"# 民政 社会救助资金发放明细（GBK编码导出）— 护苗县演示数据
name = "民政局社会救助资金发放明细"
department = "civil_affairs"
record_kind = "assistance_payment"
encoding = "gbk"

[fields.name]
column = "姓名"

[fields.citizen_id]
column = "身份证号"

[fields.assistance]
column = "救助类型"
values = { "低保" = "dibao", "特困" = "tekun", "孤儿基本生活费" = "orphan_allowance", "事实无人抚养儿童生活补贴" = "unsupported_child_allowance" }

[fields.month]
column = "发放年月"
format = "%Y%m"

[fields.amount]
column = "发放金额"
"#;

pub(crate) const JUSTICE_CUSTODY: &str = r#"# 司法 在押服刑及强制隔离戒毒人员名单 — 护苗县演示数据
name = "司法局在押服刑及戒毒人员名单"
department = "justice"
record_kind = "custody"

[fields.name]
column = "罪犯姓名"

[fields.citizen_id]
column = "身份证号"

[fields.sex]
column = "性别"
values = { "男" = "male", "女" = "female" }

[fields.birth_date]
column = "出生日期"
format = "%Y-%m-%d"

[fields.measure]
column = "执行类别"
values = { "服刑" = "imprisonment", "强制隔离戒毒" = "drug_rehabilitation" }

[fields.start]
column = "入监日期"
format = "%Y/%m/%d"

[fields.end]
column = "刑期止日"
format = "%Y/%m/%d"

[fields.facility]
column = "监所名称"
"#;

pub(crate) const DISABILITY_CERTIFICATES: &str = r#"# 残联 残疾人证持证人员名单 — 护苗县演示数据
# 无身份证号列：导入时由20位残疾人证号的前18位得出。
name = "残联残疾人证持证名单"
department = "disability"
record_kind = "disability_certificate"

[fields.certificate_no]
column = "残疾人证号"

[fields.name]
column = "姓名"

[fields.sex]
column = "性别"
values = { "男" = "male", "女" = "female" }

[fields.category]
column = "残疾类别"
values = { "视力" = "visual", "听力" = "hearing", "言语" = "speech", "肢体" = "physical", "智力" = "intellectual", "精神" = "mental", "多重" = "multiple", "1" = "visual", "2" = "hearing", "3" = "speech", "4" = "physical", "5" = "intellectual", "6" = "mental", "7" = "multiple" }

[fields.grade]
column = "残疾等级"
values = { "一级" = "1", "二级" = "2", "三级" = "3", "四级" = "4" }

[fields.issued_on]
column = "发证日期"
format = "%Y-%m-%d"
"#;

pub(crate) const CIVIL_AFFAIRS_DIVORCES: &str = r#"# 民政 离婚登记及法院离婚判决汇总 — 护苗县演示数据
name = "离婚登记及判决汇总表"
department = "civil_affairs"
record_kind = "divorce"

[fields.record_no]
column = "登记编号/案号"

[fields.husband_name]
column = "男方姓名"

[fields.husband_citizen_id]
column = "男方身份证号"

[fields.wife_name]
column = "女方姓名"

[fields.wife_citizen_id]
column = "女方身份证号"

[fields.date]
column = "离婚日期"
format = "%Y年%m月%d日"

[fields.channel]
column = "办理方式"
values = { "登记离婚" = "registration", "诉讼离婚" = "judgment" }
"#;

pub(crate) const HEALTH_ILLNESS: &str = r#"# 卫健 重特大疾病患者登记表（医院系统导出，UTF-8 BOM）— 护苗县演示数据
# 省级医院性别按代码（1男 2女）、日期以斜杠分隔；县级医院写“男/女”、日期以短横线分隔。
# 部分新生儿及补录病例无身份证号：由姓名、性别、出生日期关联。
name = "卫健重特大疾病患者登记表"
department = "health"
record_kind = "illness_diagnosis"
encoding = "auto"

[fields.record_no]
column = "登记编号"

[fields.name]
column = "患者姓名"

[fields.sex]
column = "性别"
values = { "男" = "male", "女" = "female", "1" = "male", "2" = "female" }

[fields.birth_date]
column = "出生日期"
formats = ["%Y-%m-%d", "%Y/%m/%d"]

[fields.citizen_id]
column = "身份证号"

[fields.illness]
column = "疾病名称"

[fields.diagnosed_on]
column = "确诊日期"
formats = ["%Y-%m-%d", "%Y/%m/%d"]

[fields.ended_on]
column = "治愈/终止日期"
formats = ["%Y-%m-%d", "%Y/%m/%d"]
"#;
