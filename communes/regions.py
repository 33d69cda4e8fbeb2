"""Which socio-economic region (vùng) each province belongs to.

The mapping follows the 7 socio-economic regions that the 2016–2025 new-rural-development
criteria sets are written for (QĐ 1980/QĐ-TTg for communes, QĐ 318/QĐ-TTg for the 2021–2025
set): each threshold that differs by region is published per region, so every province must
have exactly one. Keys are the 2-digit GSO province codes of the pre-2025 list of 63 provinces
(the codes `load_admin_units` stores); a test checks that every province of that list is here.
"""

from .enums import Region

PROVINCE_REGIONS: dict[str, Region] = {
    # Northern midlands and mountains (Trung du và miền núi phía Bắc), 14 provinces.
    "02": Region.TDMNPB,  # Hà Giang
    "04": Region.TDMNPB,  # Cao Bằng
    "06": Region.TDMNPB,  # Bắc Kạn
    "08": Region.TDMNPB,  # Tuyên Quang
    "10": Region.TDMNPB,  # Lào Cai
    "11": Region.TDMNPB,  # Điện Biên
    "12": Region.TDMNPB,  # Lai Châu
    "14": Region.TDMNPB,  # Sơn La
    "15": Region.TDMNPB,  # Yên Bái
    "17": Region.TDMNPB,  # Hòa Bình
    "19": Region.TDMNPB,  # Thái Nguyên
    "20": Region.TDMNPB,  # Lạng Sơn
    "24": Region.TDMNPB,  # Bắc Giang
    "25": Region.TDMNPB,  # Phú Thọ
    # Red River Delta (Đồng bằng sông Hồng), 11 provinces.
    "01": Region.DBSH,  # Hà Nội
    "22": Region.DBSH,  # Quảng Ninh
    "26": Region.DBSH,  # Vĩnh Phúc
    "27": Region.DBSH,  # Bắc Ninh
    "30": Region.DBSH,  # Hải Dương
    "31": Region.DBSH,  # Hải Phòng
    "33": Region.DBSH,  # Hưng Yên
    "34": Region.DBSH,  # Thái Bình
    "35": Region.DBSH,  # Hà Nam
    "36": Region.DBSH,  # Nam Định
    "37": Region.DBSH,  # Ninh Bình
    # North Central Coast (Bắc Trung Bộ), 6 provinces.
    "38": Region.BTB,  # Thanh Hóa
    "40": Region.BTB,  # Nghệ An
    "42": Region.BTB,  # Hà Tĩnh
    "44": Region.BTB,  # Quảng Bình
    "45": Region.BTB,  # Quảng Trị
    "46": Region.BTB,  # Huế (Thừa Thiên Huế)
    # South Central Coast (Duyên hải Nam Trung Bộ), 8 provinces.
    "48": Region.DHNTB,  # Đà Nẵng
    "49": Region.DHNTB,  # Quảng Nam
    "51": Region.DHNTB,  # Quảng Ngãi
    "52": Region.DHNTB,  # Bình Định
    "54": Region.DHNTB,  # Phú Yên
    "56": Region.DHNTB,  # Khánh Hòa
    "58": Region.DHNTB,  # Ninh Thuận
    "60": Region.DHNTB,  # Bình Thuận
    # Central Highlands (Tây Nguyên), 5 provinces.
    "62": Region.TN,  # Kon Tum
    "64": Region.TN,  # Gia Lai
    "66": Region.TN,  # Đắk Lắk
    "67": Region.TN,  # Đắk Nông
    "68": Region.TN,  # Lâm Đồng
    # Southeast (Đông Nam Bộ), 6 provinces.
    "70": Region.DNB,  # Bình Phước
    "72": Region.DNB,  # Tây Ninh
    "74": Region.DNB,  # Bình Dương
    "75": Region.DNB,  # Đồng Nai
    "77": Region.DNB,  # Bà Rịa - Vũng Tàu
    "79": Region.DNB,  # Thành phố Hồ Chí Minh
    # Mekong River Delta (Đồng bằng sông Cửu Long), 13 provinces.
    "80": Region.DBSCL,  # Long An
    "82": Region.DBSCL,  # Tiền Giang
    "83": Region.DBSCL,  # Bến Tre
    "84": Region.DBSCL,  # Trà Vinh
    "86": Region.DBSCL,  # Vĩnh Long
    "87": Region.DBSCL,  # Đồng Tháp
    "89": Region.DBSCL,  # An Giang
    "91": Region.DBSCL,  # Kiên Giang
    "92": Region.DBSCL,  # Cần Thơ
    "93": Region.DBSCL,  # Hậu Giang
    "94": Region.DBSCL,  # Sóc Trăng
    "95": Region.DBSCL,  # Bạc Liêu
    "96": Region.DBSCL,  # Cà Mau
}
