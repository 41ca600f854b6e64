/** The simulator frames with the driver's CRC (one implementation of Modbus serial line 6.2.2). */
export { crc16 } from '../../drivers/modbus/crc16.js';
