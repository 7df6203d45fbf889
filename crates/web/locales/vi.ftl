# congso web interface — Vietnamese (default language).

site-name = Cổng thông tin điện tử
skip-to-content = Bỏ qua, đến nội dung chính
nav-home = Trang chủ
nav-staff = Khu làm việc
nav-account = Tài khoản
nav-admin-users = Quản lý tài khoản
nav-admin-ledger = Nhật ký kiểm toán
nav-login = Đăng nhập
nav-logout = Đăng xuất
nav-main = Điều hướng chính
language-switch = English
language-switch-label = Switch to English
footer-text = Hệ thống congso — nền tảng chính phủ điện tử tự vận hành của cơ quan nhà nước.
footer-ledger = Sổ cái kiểm toán công khai

home-title = Trang chủ
home-welcome = Chào mừng đến với { $agency }
home-intro = Cổng thông tin điện tử của cơ quan. Cán bộ, công chức đăng nhập để làm việc; người dân đăng nhập để theo dõi hồ sơ của mình.
home-no-agency = Nút này chưa được cấu hình cơ quan. Quản trị viên hãy chạy lệnh khởi tạo.

login-title = Đăng nhập
login-username = Tên đăng nhập
login-password = Mật khẩu
login-submit = Đăng nhập
login-forgot = Quên mật khẩu?
login-failed = Tên đăng nhập hoặc mật khẩu không đúng.
login-throttled = Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau { $seconds } giây.
login-locked = Đăng nhập sai quá nhiều lần. Tài khoản tạm thời bị khóa đăng nhập; vui lòng thử lại sau { $minutes } phút hoặc liên hệ quản trị viên.
login-required = Vui lòng đăng nhập để tiếp tục.
login-second-title = Xác thực hai yếu tố
login-second-intro = Nhập mã 6 chữ số hiện trên ứng dụng xác thực của bạn.
login-code = Mã xác thực
login-code-wrong = Mã xác thực không đúng hoặc đã được dùng.
login-verify = Xác nhận
logged-out = Bạn đã đăng xuất.

account-title = Tài khoản của tôi
account-name = Họ và tên
account-username = Tên đăng nhập
account-roles = Vai trò
account-email = Thư điện tử
account-2fa = Xác thực hai yếu tố
account-2fa-on = Đang bật
account-2fa-off = Chưa bật
account-2fa-setup = Thiết lập xác thực hai yếu tố
account-2fa-disable = Tắt xác thực hai yếu tố
account-2fa-required = Quản trị viên bắt buộc phải dùng xác thực hai yếu tố. Hãy thiết lập trước khi tiếp tục.
account-2fa-admin-cannot-disable = Tài khoản quản trị không được tắt xác thực hai yếu tố.
account-2fa-enabled = Đã bật xác thực hai yếu tố.
account-2fa-disabled = Đã tắt xác thực hai yếu tố.
account-2fa-scan = Quét mã QR bằng ứng dụng xác thực (ví dụ: Google Authenticator, Microsoft Authenticator, FreeOTP), hoặc nhập khóa bí mật dưới đây, rồi nhập mã 6 chữ số để xác nhận.
account-2fa-secret = Khóa bí mật
account-2fa-qr = Mã QR để thêm tài khoản vào ứng dụng xác thực
account-password-title = Đổi mật khẩu
account-password-current = Mật khẩu hiện tại
account-password-new = Mật khẩu mới
account-password-confirm = Nhập lại mật khẩu mới
account-password-submit = Đổi mật khẩu
account-password-changed = Đã đổi mật khẩu. Các phiên đăng nhập khác đã bị đóng.
account-password-wrong = Mật khẩu hiện tại không đúng.
account-password-must-change = Bạn cần đặt mật khẩu mới trước khi tiếp tục.
password-too-short = Mật khẩu phải có ít nhất { $min } ký tự.
password-too-long = Mật khẩu không được dài quá { $max } ký tự.
password-mismatch = Hai mật khẩu mới không khớp nhau.
password-contains-username = Mật khẩu không được chứa tên đăng nhập.
password-too-common = Mật khẩu này quá phổ biến, dễ bị đoán. Hãy chọn mật khẩu khác.

reset-title = Quên mật khẩu
reset-intro = Nhập tên đăng nhập hoặc địa chỉ thư điện tử của tài khoản. Nếu tài khoản tồn tại và có địa chỉ thư, chúng tôi sẽ gửi đường dẫn đặt lại mật khẩu.
reset-identifier = Tên đăng nhập hoặc thư điện tử
reset-submit = Gửi yêu cầu
reset-sent = Nếu tài khoản tồn tại và có địa chỉ thư điện tử, đường dẫn đặt lại mật khẩu đã được gửi. Đường dẫn có hiệu lực trong 30 phút.
reset-new-title = Đặt mật khẩu mới
reset-invalid = Đường dẫn đặt lại mật khẩu không hợp lệ, đã hết hạn hoặc đã được dùng.
reset-done = Đã đặt mật khẩu mới. Hãy đăng nhập.
reset-mail-subject = Đặt lại mật khẩu tài khoản congso
reset-mail-body = Xin chào { $name },

    Có yêu cầu đặt lại mật khẩu cho tài khoản { $username }. Mở đường dẫn sau trong 30 phút để đặt mật khẩu mới:

    { $link }

    Nếu bạn không yêu cầu, hãy bỏ qua thư này; mật khẩu của bạn không thay đổi.

staff-title = Khu làm việc
staff-hello = Xin chào, { $name }
staff-intro = Đây là khu làm việc của cán bộ. Các chức năng bạn được dùng tùy theo vai trò được giao.
staff-your-roles = Vai trò của bạn

admin-users-title = Quản lý tài khoản
admin-users-new = Tạo tài khoản mới
admin-users-col-username = Tên đăng nhập
admin-users-col-name = Họ và tên
admin-users-col-kind = Loại
admin-users-col-roles = Vai trò
admin-users-col-status = Trạng thái
admin-users-col-2fa = 2FA
admin-status-active = Hoạt động
admin-status-disabled = Đã khóa
kind-staff = Cán bộ
kind-citizen = Công dân
admin-user-title = Tài khoản { $username }
admin-user-roles = Vai trò
admin-user-save-roles = Lưu vai trò
admin-user-roles-saved = Đã lưu vai trò.
admin-user-reset-password = Đặt lại mật khẩu
admin-user-reset-password-help = Tạo một mật khẩu tạm thời; người dùng phải đổi mật khẩu khi đăng nhập lần tới. Mọi phiên đăng nhập của họ bị đóng.
admin-user-temp-password = Mật khẩu tạm thời (chỉ hiển thị một lần): { $password }
admin-user-disable = Khóa tài khoản
admin-user-enable = Mở khóa tài khoản
admin-user-disabled = Đã khóa tài khoản.
admin-user-enabled = Đã mở khóa tài khoản.
admin-user-unlock = Xóa bộ đếm đăng nhập sai
admin-user-unlocked = Đã xóa bộ đếm đăng nhập sai.
admin-user-remove-2fa = Gỡ xác thực hai yếu tố
admin-user-2fa-removed = Đã gỡ xác thực hai yếu tố; người dùng phải thiết lập lại (bắt buộc với quản trị viên).
admin-user-self-demote = Bạn không thể tự bỏ vai trò quản trị hoặc tự khóa tài khoản của mình.
admin-new-title = Tạo tài khoản mới
admin-new-display-name = Họ và tên
admin-new-kind = Loại tài khoản
admin-new-position = Chức vụ
admin-new-unit = Đơn vị
admin-new-unit-none = (không thuộc đơn vị)
admin-new-password = Mật khẩu ban đầu (để trống để tạo mật khẩu tạm thời)
admin-new-submit = Tạo tài khoản
admin-new-created = Đã tạo tài khoản { $username }.

admin-ledger-title = Nhật ký kiểm toán
admin-ledger-intro = Mọi hành động liên quan đến an ninh được ghi vào sổ cái chỉ-ghi-thêm (cây Merkle RFC 9162). Điểm kiểm tra được ký bằng khóa Ed25519 của nút; bất kỳ ai cũng có thể kiểm tra bằng chứng.
admin-ledger-size = Số mục
admin-ledger-root = Gốc cây hiện tại
admin-ledger-checkpoint = Điểm kiểm tra đã ký gần nhất
admin-ledger-sign = Ký điểm kiểm tra ngay
admin-ledger-signed = Đã ký điểm kiểm tra tại kích thước { $size }.
admin-ledger-col-seq = Số
admin-ledger-col-time = Thời điểm
admin-ledger-col-actor = Người thực hiện
admin-ledger-col-action = Hành động
admin-ledger-col-target = Đối tượng
admin-ledger-col-source = Nguồn
admin-ledger-entry-title = Mục nhật ký số { $seq }
admin-ledger-leaf = Băm lá
admin-ledger-proof = Bằng chứng bao hàm (so với điểm kiểm tra { $size })
admin-ledger-proof-ok = Bằng chứng hợp lệ: mục này nằm trong lịch sử đã ký.
admin-ledger-proof-bad = Bằng chứng KHÔNG hợp lệ: lịch sử có thể đã bị sửa.
admin-ledger-not-covered = Mục này chưa nằm trong điểm kiểm tra đã ký nào; hãy ký điểm kiểm tra.
admin-ledger-details = Chi tiết
admin-ledger-data-hash = Băm dữ liệu liên quan

role-administrator = Quản trị viên
role-it_officer = Cán bộ công nghệ thông tin
role-clerk = Văn thư
role-specialist = Chuyên viên
role-leader = Lãnh đạo
role-security_officer = Cán bộ an ninh thông tin
role-privacy_officer = Cán bộ bảo vệ dữ liệu cá nhân
role-citizen = Công dân

error-title = Có lỗi xảy ra
error-not-found = Không tìm thấy trang bạn yêu cầu.
error-forbidden = Bạn không có quyền thực hiện thao tác này.
error-csrf = Biểu mẫu đã hết hạn hoặc đã được gửi trước đó. Hãy tải lại trang và thử lại.
error-too-large = Dữ liệu gửi lên quá lớn (giới hạn { $limit }).
error-bad-request = Yêu cầu không hợp lệ: { $reason }
error-internal = Hệ thống gặp sự cố. Sự cố đã được ghi lại; vui lòng thử lại sau.
error-timeout = Yêu cầu mất quá nhiều thời gian và đã bị dừng.
error-method-not-allowed = Địa chỉ này không nhận yêu cầu theo cách đó.
error-back-home = Về trang chủ
saved = Đã lưu.
submit = Gửi
