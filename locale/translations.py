"""Fills locale/*/LC_MESSAGES/django.po from the tables below (`make messages`).

Keeping the translations in one reviewed table lets `makemessages` be re-run freely: it
rewrites the .po files from the source, and this script puts the translations back.
"""

import re
import sys
from pathlib import Path

RU = {
    "Password": "Пароль",
    "Only for staff who log in to the admin. Leave empty for app users.": "Только для сотрудников, входящих в админку. Для пользователей приложения оставьте пустым.",
    "Profile": "Профиль",
    "Access": "Доступ",
    "Dates": "Даты",
    "Accounts": "Аккаунты",
    "User": "Пользователь",
    "Moderator": "Модератор",
    "Admin": "Администратор",
    "phone": "телефон",
    "display name": "отображаемое имя",
    "city": "город",
    "language": "язык",
    "role": "роль",
    "active": "активен",
    "staff": "сотрудник",
    "Bumped to revoke every token the user holds.": "Увеличивается, чтобы отозвать все токены пользователя.",
    "created at": "создан",
    "updated at": "изменён",
    "user": "пользователь",
    "users": "пользователи",
    "Empty for the system (tasks, webhooks).": "Пусто для системы (задачи, вебхуки).",
    "action": "действие",
    "target type": "тип объекта",
    "target id": "id объекта",
    "data": "данные",
    "request id": "id запроса",
    "time": "время",
    "audit entry": "запись журнала аудита",
    "audit log": "журнал аудита",
    "Enter a Kyrgyz mobile number, e.g. +996 700 123 456.": "Введите кыргызский мобильный номер, например +996 700 123 456.",
    "Business": "Бизнес",
    "Chat": "Чат",
    "Listings": "Объявления",
    "Moderation": "Модерация",
    "Promotions": "Продвижение",
    "Some of the data sent is not valid.": "Некоторые отправленные данные неверны.",
    "Log in to continue.": "Войдите, чтобы продолжить.",
    "Your session is not valid or has expired. Log in again.": "Сессия недействительна или истекла. Войдите снова.",
    "You do not have permission to do this.": "У вас нет прав на это действие.",
    "Not found.": "Не найдено.",
    "This method is not allowed here.": "Этот метод здесь не разрешён.",
    "The requested response format is not available.": "Запрошенный формат ответа недоступен.",
    "The request is too large.": "Запрос слишком большой.",
    "This type of content is not supported.": "Этот тип содержимого не поддерживается.",
    "Too many requests. Try again later.": "Слишком много запросов. Попробуйте позже.",
    "The service is temporarily unavailable. Try again shortly.": "Сервис временно недоступен. Попробуйте чуть позже.",
    "Something went wrong on our side. Try again later.": "У нас что-то пошло не так. Попробуйте позже.",
    "Invalid cursor.": "Неверный курсор.",
    "Russian": "Русский",
    "Kyrgyz": "Кыргызский",
    "English": "Английский",
    "Public offer agreement": "Публичная оферта",
    "Consent to personal data processing": "Согласие на обработку персональных данных",
    "Consent to marketing communications": "Согласие на маркетинговые рассылки",
    "Offer agreement": "Оферта",
    "Personal data processing": "Обработка персональных данных",
    "Marketing communications": "Маркетинговые рассылки",
    "Ban the selected users (revokes their tokens)": "Заблокировать выбранных пользователей (отзывает их токены)",
    "%(count)d users banned.": "Заблокировано пользователей: %(count)d.",
    "The token does not name a user.": "Токен не указывает на пользователя.",
    "The token has been revoked.": "Токен отозван.",
    "The code is not correct.": "Неверный код.",
    "The code has expired. Ask for a new one.": "Срок действия кода истёк. Запросите новый.",
    "Too many wrong codes. Ask for a new one.": "Слишком много неверных попыток. Запросите новый код.",
    "Accept the offer agreement and the personal data processing to continue.": "Чтобы продолжить, примите оферту и согласие на обработку персональных данных.",
    "This account is disabled.": "Этот аккаунт отключён.",
    "Another account already uses this phone number.": "Этот номер уже используется другим аккаунтом.",
    "You are the last admin of a business. Appoint another admin first.": "Вы последний администратор бизнеса. Сначала назначьте другого администратора.",
    "Upload a JPEG, PNG or WebP image.": "Загрузите изображение JPEG, PNG или WebP.",
    "The file is too large.": "Файл слишком большой.",
    "avatar": "аватар",
    "deleted at": "удалён",
    "Login": "Вход",
    "Phone change": "Смена номера",
    "For a phone change: the user who asked for it.": "Для смены номера: пользователь, который её запросил.",
    "document": "документ",
    "version": "версия",
    "accepted": "принято",
    "IP address": "IP-адрес",
    "user agent": "user agent",
    "consent decision": "решение о согласии",
    "consent history": "история согласий",
    "360 Marketplace code: %(code)s. Do not share it with anyone.": "Код 360 Маркет: %(code)s. Никому его не сообщайте.",
}

KY = {
    "Password": "Сырсөз",
    "Only for staff who log in to the admin. Leave empty for app users.": "Админкага кирүүчү кызматкерлер үчүн гана. Колдонмонун колдонуучулары үчүн бош калтырыңыз.",
    "Profile": "Профиль",
    "Access": "Кирүү укугу",
    "Dates": "Даталар",
    "Accounts": "Аккаунттар",
    "User": "Колдонуучу",
    "Moderator": "Модератор",
    "Admin": "Администратор",
    "phone": "телефон",
    "display name": "көрсөтүлүүчү аты",
    "city": "шаар",
    "language": "тил",
    "role": "ролу",
    "active": "активдүү",
    "staff": "кызматкер",
    "Bumped to revoke every token the user holds.": "Колдонуучунун бардык токендерин жокко чыгаруу үчүн көбөйтүлөт.",
    "created at": "түзүлгөн",
    "updated at": "өзгөртүлгөн",
    "user": "колдонуучу",
    "users": "колдонуучулар",
    "Empty for the system (tasks, webhooks).": "Система үчүн бош (тапшырмалар, вебхуктар).",
    "action": "аракет",
    "target type": "объекттин түрү",
    "target id": "объекттин id",
    "data": "маалымат",
    "request id": "сурамдын id",
    "time": "убакыт",
    "audit entry": "аудит жазуусу",
    "audit log": "аудит журналы",
    "Enter a Kyrgyz mobile number, e.g. +996 700 123 456.": "Кыргызстандын мобилдик номерин жазыңыз, мисалы +996 700 123 456.",
    "Business": "Бизнес",
    "Chat": "Чат",
    "Listings": "Жарыялар",
    "Moderation": "Модерация",
    "Promotions": "Жарнамалоо",
    "Some of the data sent is not valid.": "Жөнөтүлгөн маалыматтардын айрымдары туура эмес.",
    "Log in to continue.": "Улантуу үчүн кириңиз.",
    "Your session is not valid or has expired. Log in again.": "Сессия жараксыз же мөөнөтү бүттү. Кайра кириңиз.",
    "You do not have permission to do this.": "Бул аракетке укугуңуз жок.",
    "Not found.": "Табылган жок.",
    "This method is not allowed here.": "Бул ыкмага бул жерде уруксат жок.",
    "The requested response format is not available.": "Суралган жооп форматы жеткиликсиз.",
    "The request is too large.": "Сурам өтө чоң.",
    "This type of content is not supported.": "Мазмундун бул түрү колдоого алынбайт.",
    "Too many requests. Try again later.": "Сурамдар өтө көп. Кийинчерээк кайталаңыз.",
    "The service is temporarily unavailable. Try again shortly.": "Кызмат убактылуу жеткиликсиз. Бир аздан кийин кайталаңыз.",
    "Something went wrong on our side. Try again later.": "Биз тарапта ката кетти. Кийинчерээк кайталаңыз.",
    "Invalid cursor.": "Курсор туура эмес.",
    "Russian": "Орусча",
    "Kyrgyz": "Кыргызча",
    "English": "Англисче",
    '"{input}" is not a valid choice.': '"{input}" жарактуу тандоо эмес.',
    "A valid integer is required.": "Бүтүн сан талап кылынат.",
    "A valid number is required.": "Сан талап кылынат.",
    "Datetime has wrong format. Use one of these formats instead: {format}.": "Датанын жана убакыттын форматы туура эмес. Бул форматтардын бирин колдонуңуз: {format}.",
    "Ensure that there are no more than {max_decimal_places} decimal places.": "Үтүрдөн кийин {max_decimal_places} орундан ашпашы керек.",
    "Ensure that there are no more than {max_digits} digits in total.": "Жалпысынан {max_digits} цифрадан ашпашы керек.",
    "Ensure this field has at least {min_length} characters.": "Бул талаада жок дегенде {min_length} белги болушу керек.",
    "Ensure this field has no more than {max_length} characters.": "Бул талаада {max_length} белгиден ашпашы керек.",
    "Ensure this value is greater than or equal to {min_value}.": "Бул маани {min_value} же андан чоң болушу керек.",
    "Ensure this value is less than or equal to {max_value}.": "Бул маани {max_value} же андан кичине болушу керек.",
    'Expected a list of items but got type "{input_type}".': 'Тизме күтүлгөн, бирок "{input_type}" түрү келди.',
    "Invalid data. Expected a dictionary, but got {datatype}.": "Маалымат туура эмес. Объект күтүлгөн, бирок {datatype} келди.",
    "Must be a valid UUID.": "Жарактуу UUID болушу керек.",
    "Must be a valid boolean.": "Туура логикалык маани болушу керек.",
    "No file was submitted.": "Файл жөнөтүлгөн жок.",
    "Not a valid string.": "Жарактуу сап эмес.",
    "The submitted file is empty.": "Жөнөтүлгөн файл бош.",
    "This field is required.": "Бул талааны толтуруу милдеттүү.",
    "This field may not be blank.": "Бул талаа бош болбошу керек.",
    "This field may not be null.": "Бул талаа null болбошу керек.",
    "This list may not be empty.": "Бул тизме бош болбошу керек.",
    "Public offer agreement": "Ачык оферта",
    "Consent to personal data processing": "Жеке маалыматтарды иштетүүгө макулдук",
    "Consent to marketing communications": "Маркетингдик билдирүүлөргө макулдук",
    "Offer agreement": "Оферта",
    "Personal data processing": "Жеке маалыматтарды иштетүү",
    "Marketing communications": "Маркетингдик билдирүүлөр",
    "Ban the selected users (revokes their tokens)": "Тандалган колдонуучуларды бөгөттөө (токендерин жокко чыгарат)",
    "%(count)d users banned.": "Бөгөттөлгөн колдонуучулар: %(count)d.",
    "The token does not name a user.": "Токен колдонуучуну көрсөтпөйт.",
    "The token has been revoked.": "Токен жокко чыгарылган.",
    "The code is not correct.": "Код туура эмес.",
    "The code has expired. Ask for a new one.": "Коддун мөөнөтү бүттү. Жаңысын сураңыз.",
    "Too many wrong codes. Ask for a new one.": "Туура эмес аракеттер өтө көп. Жаңы код сураңыз.",
    "Accept the offer agreement and the personal data processing to continue.": "Улантуу үчүн офертаны жана жеке маалыматтарды иштетүүгө макулдукту кабыл алыңыз.",
    "This account is disabled.": "Бул аккаунт өчүрүлгөн.",
    "Another account already uses this phone number.": "Бул номерди башка аккаунт колдонуп жатат.",
    "You are the last admin of a business. Appoint another admin first.": "Сиз бизнестин акыркы администраторусуз. Адегенде башка администратор дайындаңыз.",
    "Upload a JPEG, PNG or WebP image.": "JPEG, PNG же WebP сүрөтүн жүктөңүз.",
    "The file is too large.": "Файл өтө чоң.",
    "avatar": "аватар",
    "deleted at": "өчүрүлгөн",
    "Login": "Кирүү",
    "Phone change": "Номерди алмаштыруу",
    "For a phone change: the user who asked for it.": "Номерди алмаштыруу үчүн: аны сураган колдонуучу.",
    "document": "документ",
    "version": "версия",
    "accepted": "кабыл алынды",
    "IP address": "IP-дарек",
    "user agent": "user agent",
    "consent decision": "макулдук чечими",
    "consent history": "макулдуктардын тарыхы",
    "360 Marketplace code: %(code)s. Do not share it with anyone.": "360 Маркет коду: %(code)s. Аны эч кимге айтпаңыз.",
}

TABLES = {"ru": RU, "ky": KY, "en": {}}

_ENTRY = re.compile(r'^msgid "(.*)"\nmsgstr ".*"$', re.MULTILINE)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\\\", "\\")


def fill(po_path: Path, table: dict[str, str]) -> list[str]:
    source = po_path.read_text(encoding="utf-8")
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        msgid = _unescape(match.group(1))
        if not msgid:
            return match.group(0)
        translation = table.get(msgid, "")
        if table and not translation:
            missing.append(msgid)
        return f'msgid "{match.group(1)}"\nmsgstr "{_escape(translation)}"'

    filled = _ENTRY.sub(replace, source).replace("#, fuzzy\n", "")
    po_path.write_text(filled, encoding="utf-8")
    return missing


def main() -> int:
    root = Path(__file__).resolve().parent
    status = 0
    for language, table in TABLES.items():
        missing = fill(root / language / "LC_MESSAGES" / "django.po", table)
        # DRF's own messages have Russian in DRF's catalog; only Kyrgyz must cover them.
        if language == "ru":
            missing = [msgid for msgid in missing if msgid not in set(KY) - set(RU)]
        for msgid in missing:
            sys.stderr.write(f"{language}: no translation for {msgid!r}\n")
            status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
